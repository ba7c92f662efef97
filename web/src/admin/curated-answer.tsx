// The one-step form that teaches the bot an answer: a question and its answer become a curated Q&A pair of the
// bot's knowledge (answerable at once), optionally with a test that the question is answered from it. Used to
// answer a suggestion (Suggestions tab), to improve an answer (playground, conversations) and to add a pair
// (Knowledge tab). The server's refusal shows at the field it names.
import { useState } from 'preact/hooks';
import { api, type CuratedAnswerResult } from './api';
import { FieldError, type FieldProblem, invalidProps, problemOf } from './fields';
import { Alert } from './ui';

let formKeys = 0;

export function CuratedAnswerForm({
  botId,
  path = `/bots/${botId}/qa`,
  initialQuestion = '',
  initialAnswer = '',
  questionHint,
  submitLabel = 'Save answer',
  onSaved,
  onCancel,
}: {
  botId: string;
  path?: string; // POST target: the pairs, or a suggestion's answer
  initialQuestion?: string;
  initialAnswer?: string;
  questionHint?: string;
  submitLabel?: string;
  onSaved: (result: CuratedAnswerResult) => void;
  onCancel?: () => void;
}) {
  const [form] = useState(() => `curated-${++formKeys}`);
  const [question, setQuestion] = useState(initialQuestion);
  const [answer, setAnswer] = useState(initialAnswer);
  const [test, setTest] = useState(false);
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [saving, setSaving] = useState(false);
  const invalid = (field: string) => invalidProps(problem, form, field);

  const save = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setSaving(true);
    try {
      const result = await api<CuratedAnswerResult>('POST', path, { question, answer, test });
      setQuestion('');
      setAnswer('');
      setTest(false);
      onSaved(result);
    } catch (failure) {
      setProblem(problemOf(failure));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="curated-form" onSubmit={save} aria-label="Teach the bot an answer">
      <label>
        Question
        <input maxLength={2000} value={question} onInput={(e) => setQuestion(e.currentTarget.value)} {...invalid('question')} />
        {questionHint ? <span class="muted small">{questionHint}</span> : null}
        <FieldError problem={problem} form={form} field="question" />
      </label>
      <label>
        Answer
        <textarea rows={4} maxLength={10000} value={answer} placeholder="The answer the bot should give, in your words" onInput={(e) => setAnswer(e.currentTarget.value)} {...invalid('answer')} />
        <FieldError problem={problem} form={form} field="answer" />
      </label>
      <label class="check">
        <input type="checkbox" checked={test} onChange={(e) => setTest(e.currentTarget.checked)} />
        Also add as a test: the question must be answered from this answer
      </label>
      <Alert message={problem && problem.field === null ? problem.message : null} />
      <div class="row">
        <button type="submit" class="primary" disabled={saving}>
          {saving ? 'Saving…' : submitLabel}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
