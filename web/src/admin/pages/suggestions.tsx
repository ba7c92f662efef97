// Suggestions: what visitors asked that the bot declined, or whose answer got a thumbs-down, grouped by meaning
// (the same words after stemming), most asked first, each with how often and in which wordings. Answering one (in
// place) adds a curated Q&A pair the bot answers from at once, and optionally a test; the suggestion then leaves the
// list. Everyone sees the list; owners and admins answer (the API refuses the others).
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, type Suggestion } from '../api';
import { CuratedAnswerForm } from '../curated-answer';
import { formatDate } from '../format';
import { Alert, Empty, Loading } from '../ui';

export function Suggestions({ botId, canEdit }: { botId: string; canEdit: boolean }) {
  const [suggestions, setSuggestions] = useState<Suggestion[] | null>(null);
  const [answering, setAnswering] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const load = () =>
    api<{ suggestions: Suggestion[] }>('GET', `/bots/${botId}/suggestions`)
      .then((body) => setSuggestions(body.suggestions))
      .catch((failure) => setError(errorMessage(failure)));
  useEffect(() => {
    setAnswering(null);
    setSaved(null);
    void load();
  }, [botId]);

  if (suggestions === null) return error ? <Alert message={error} /> : <Loading />;
  return (
    <div class="stack">
      <Alert message={error} />
      <section class="card" aria-labelledby="suggestions-title">
        <h2 id="suggestions-title">Suggestions ({suggestions.length})</h2>
        <p class="muted small">
          Questions visitors asked that the bot could not answer, or whose answer got a thumbs-down, grouped when they use the same words. Answer one and the bot
          knows it at once; playground conversations are left out.
        </p>
        <Alert message={saved} kind="success" />
        {!canEdit ? <p class="muted small">Owners and admins answer suggestions.</p> : null}
        {suggestions.length === 0 ? (
          <Empty title="Nothing to answer">
            <p>When visitors ask something the bot cannot answer, or rate an answer down, it shows up here.</p>
          </Empty>
        ) : (
          <ul class="suggestions" aria-label="Suggestions">
            {suggestions.map((suggestion) => (
              <li key={suggestion.id} class="suggestion">
                <div class="test-head">
                  <p class="question">{suggestion.question}</p>
                  <span class="pill" aria-label={`Asked ${suggestion.count} ${suggestion.count === 1 ? 'time' : 'times'}`}>
                    {suggestion.count}×
                  </span>
                </div>
                <p class="small muted">
                  {[suggestion.declined > 0 ? `${suggestion.declined} declined` : '', suggestion.thumbs_down > 0 ? `${suggestion.thumbs_down} thumbs-down` : '']
                    .filter(Boolean)
                    .join(' · ')}{' '}
                  · last asked {formatDate(suggestion.last_asked_at)}
                </p>
                {suggestion.examples.length > 1 ? (
                  <ul class="examples small" aria-label="Also asked as">
                    {suggestion.examples
                      .filter((example) => example !== suggestion.question)
                      .map((example) => (
                        <li key={example}>“{example}”</li>
                      ))}
                  </ul>
                ) : null}
                {canEdit && answering === suggestion.id ? (
                  <CuratedAnswerForm
                    botId={botId}
                    path={`/bots/${botId}/suggestions/${suggestion.id}/answer`}
                    initialQuestion={suggestion.question}
                    questionHint="Visitors' other wordings find this answer too."
                    onSaved={(result) => {
                      setAnswering(null);
                      setSaved(`The bot now answers "${result.pair.question}"${result.test ? ', and a test checks it' : ''}.`);
                      void load();
                    }}
                    onCancel={() => setAnswering(null)}
                  />
                ) : canEdit ? (
                  <button
                    type="button"
                    class="small"
                    onClick={() => {
                      setSaved(null);
                      setAnswering(suggestion.id);
                    }}
                    aria-label={`Answer "${suggestion.question}"`}
                  >
                    Answer
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
