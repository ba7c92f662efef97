// Curated knowledge on the Knowledge tab: paste a text as a source, and the bot's Q&A pairs typed in the app (or
// written as answers to suggestions or improved answers): add, edit and delete one pair at a time (the server
// indexes only that pair again). Owners and admins change them; the API refuses the others.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, type QaPair } from '../api';
import { CuratedAnswerForm } from '../curated-answer';
import { FieldError, type FieldProblem, invalidProps, problemOf } from '../fields';
import { Alert, Empty, Loading } from '../ui';
import type { UploadResult } from '../upload';

// The file name a pasted text is stored under: the name given, as Markdown unless it names its type.
export function pastedFileName(name: string): string {
  const trimmed = name.trim();
  return /\.(md|markdown|txt|html?)$/i.test(trimmed) ? trimmed : `${trimmed}.md`;
}

export function PasteText({ botId, onAdded }: { botId: string; onAdded: () => void }) {
  const [name, setName] = useState('');
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const add = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setAdded(null);
    if (!name.trim()) return setProblem({ field: 'name', message: 'Give the text a name, as its source will be called.' });
    if (!text.trim()) return setProblem({ field: 'text', message: 'Paste or type the text first.' });
    setSaving(true);
    try {
      const fileName = pastedFileName(name);
      // The upload route's JSON form: the text as a file of that name.
      const result = await api<UploadResult>('POST', `/bots/${botId}/sources`, { name: fileName, content: text });
      const failure = result.errors[0];
      if (failure) setProblem({ field: 'text', message: failure.error.message });
      else {
        setAdded(`Added "${fileName}": ${result.sources[0]?.chunk_count ?? 0} passages.`);
        setName('');
        setText('');
        onAdded();
      }
    } catch (failure) {
      setProblem(problemOf(failure));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="card paste-text" aria-labelledby="paste-title" onSubmit={add}>
      <h2 id="paste-title">Paste a text</h2>
      <p class="muted small">A policy, an announcement or notes: the bot answers from it like from an uploaded file. Markdown headings become sections.</p>
      <label>
        Name
        <input value={name} maxLength={200} placeholder="e.g. Holiday opening hours" onInput={(e) => setName(e.currentTarget.value)} {...invalidProps(problem, 'paste', 'name')} />
        <FieldError problem={problem} form="paste" field="name" />
      </label>
      <label>
        Text
        <textarea rows={6} value={text} onInput={(e) => setText(e.currentTarget.value)} {...invalidProps(problem, 'paste', 'text')} />
        <FieldError problem={problem} form="paste" field="text" />
      </label>
      <Alert message={problem && problem.field === null ? problem.message : null} />
      <Alert message={added} kind="success" />
      <button type="submit" class="primary" disabled={saving}>
        {saving ? 'Adding…' : 'Add text'}
      </button>
    </form>
  );
}

export function QaPairs({ botId, canEdit, onChanged }: { botId: string; canEdit: boolean; onChanged: () => void }) {
  const [pairs, setPairs] = useState<QaPair[] | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const load = () =>
    api<{ pairs: QaPair[] }>('GET', `/bots/${botId}/qa`)
      .then((body) => setPairs(body.pairs))
      .catch((failure) => setError(errorMessage(failure)));
  useEffect(() => {
    setEditing(null);
    void load();
  }, [botId]);
  const changed = (message: string) => {
    setSaved(message);
    void load();
    onChanged();
  };

  const remove = async (pair: QaPair) => {
    if (!confirm(`Delete the Q&A pair "${pair.question}"?`)) return;
    setError(null);
    try {
      await api('DELETE', `/bots/${botId}/qa/${pair.id}`);
      changed(`Deleted "${pair.question}".`);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  return (
    <section class="card" aria-labelledby="qa-title">
      <h2 id="qa-title">Q&amp;A pairs{pairs ? ` (${pairs.length})` : ''}</h2>
      <p class="muted small">Questions with the exact answer the bot should give. The bot answers from a pair as soon as it is saved.</p>
      <Alert message={error} />
      <Alert message={saved} kind="success" />
      {canEdit ? (
        <details class="add-pair">
          <summary>Add a Q&amp;A pair</summary>
          <CuratedAnswerForm botId={botId} submitLabel="Add pair" onSaved={(result) => changed(`Added "${result.pair.question}".`)} />
        </details>
      ) : null}
      {pairs === null ? (
        error ? null : <Loading />
      ) : pairs.length === 0 ? (
        <Empty title="No Q&A pairs yet">
          <p>Add one above, answer a suggestion, or use "Improve this answer" in the playground.</p>
        </Empty>
      ) : (
        <ul class="qa-pairs" aria-label="Q&A pairs">
          {pairs.map((pair) => (
            <li key={pair.id} class="qa-pair">
              {editing === pair.id ? (
                <EditPair botId={botId} pair={pair} onSaved={(after) => (setEditing(null), changed(`Saved "${after.question}".`))} onCancel={() => setEditing(null)} />
              ) : (
                <>
                  <p class="question">{pair.question}</p>
                  <p class="answer-text">{pair.answer}</p>
                  {canEdit ? (
                    <div class="row">
                      <button type="button" class="small" onClick={() => (setSaved(null), setEditing(pair.id))} aria-label={`Edit "${pair.question}"`}>
                        Edit
                      </button>
                      <button type="button" class="danger small" onClick={() => void remove(pair)} aria-label={`Delete "${pair.question}"`}>
                        Delete
                      </button>
                    </div>
                  ) : null}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function EditPair({ botId, pair, onSaved, onCancel }: { botId: string; pair: QaPair; onSaved: (pair: QaPair) => void; onCancel: () => void }) {
  const [question, setQuestion] = useState(pair.question);
  const [answer, setAnswer] = useState(pair.answer);
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [saving, setSaving] = useState(false);
  const form = `edit-${pair.id}`;

  const save = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setSaving(true);
    try {
      onSaved(await api<QaPair>('PATCH', `/bots/${botId}/qa/${pair.id}`, { question, answer }));
    } catch (failure) {
      setProblem(problemOf(failure));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="curated-form" onSubmit={save} aria-label={`Edit "${pair.question}"`}>
      <label>
        Question
        <input maxLength={2000} value={question} onInput={(e) => setQuestion(e.currentTarget.value)} {...invalidProps(problem, form, 'question')} />
        <FieldError problem={problem} form={form} field="question" />
      </label>
      <label>
        Answer
        <textarea rows={4} maxLength={10000} value={answer} onInput={(e) => setAnswer(e.currentTarget.value)} {...invalidProps(problem, form, 'answer')} />
        <FieldError problem={problem} form={form} field="answer" />
      </label>
      <Alert message={problem && problem.field === null ? problem.message : null} />
      <div class="row">
        <button type="submit" class="primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
