// The playground: chat with the bot as a visitor would, and see for each answer how it was made. "Improve this
// answer" (owners and admins) teaches the bot a better one in place: a curated Q&A pair, optionally with a test.
import { useRef, useState } from 'preact/hooks';
import { ChatClient, ChatError, type AnswerDone, type Source } from '../../shared/chat-client';
import { CuratedAnswerForm } from '../curated-answer';
import { formatMs, formatPercent } from '../format';
import { Alert, Empty, Markdown, SourceChips } from '../ui';

interface Turn {
  question: string;
  answer: string;
  sources: Source[];
  done?: AnswerDone;
  firstTokenMs?: number;
  totalMs?: number;
  error?: string;
  improving?: boolean; // the "Improve this answer" form is open
  improved?: string; // what it saved
}

export function Playground({ botId, canEdit }: { botId: string; canEdit: boolean }) {
  const client = useRef(new ChatClient(location.origin, botId));
  const [turns, setTurns] = useState<Turn[]>([]);
  const [token, setToken] = useState<string | null>(null);
  const [question, setQuestion] = useState('');
  const [busy, setBusy] = useState(false);

  const change = (index: number, update: Partial<Turn>) =>
    setTurns((current) => current.map((turn, i) => (i === index ? { ...turn, ...update } : turn)));

  const ask = async (event: Event) => {
    event.preventDefault();
    const text = question.trim();
    if (!text || busy) return;
    setQuestion('');
    setBusy(true);
    const started = performance.now();
    let turn: Turn = { question: text, answer: '', sources: [] };
    const show = (change: Partial<Turn>) => {
      turn = { ...turn, ...change };
      setTurns((current) => [...current.slice(0, -1), turn]);
    };
    setTurns((current) => [...current, turn]);
    try {
      await client.current.ask(text, token, {
        onDelta: (delta) => show({ answer: turn.answer + delta, firstTokenMs: turn.firstTokenMs ?? performance.now() - started }),
        onReset: () => show({ answer: '' }),
        onSources: (sources) => show({ sources }),
        onDone: (done) => {
          setToken(done.visitor_token);
          show({ done, totalMs: performance.now() - started });
        },
      }, { test: true });
    } catch (failure) {
      show({ error: failure instanceof ChatError ? failure.message : 'The answer failed.' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="playground">
      <div class="card chat-log" role="log" aria-live="polite">
        {turns.length === 0 ? (
          <Empty title="Ask your bot something">
            <p>Answers come only from the bot's knowledge; each shows how it was made. Playground conversations are marked as tests and left out of the analytics.</p>
          </Empty>
        ) : (
          turns.map((turn, index) => (
            <div class="turn" key={index}>
              <p class="question">{turn.question}</p>
              <div class="answer">
                {turn.error ? <Alert message={turn.error} /> : turn.answer ? <Markdown text={turn.answer} /> : <p class="muted">Thinking…</p>}
                <SourceChips sources={turn.sources} />
                {turn.done ? (
                  <dl class="meta" aria-label="How this answer was made">
                    <div>
                      <dt>Mode</dt>
                      <dd>
                        <span class={`pill pill-${turn.done.mode}`}>{turn.done.mode}</span>
                      </dd>
                    </div>
                    <div>
                      <dt>Confidence</dt>
                      <dd>{formatPercent(turn.done.confidence)}</dd>
                    </div>
                    <div>
                      <dt>Sources</dt>
                      <dd>{turn.sources.length}</dd>
                    </div>
                    <div>
                      <dt>Model</dt>
                      <dd>{turn.done.mode === 'generative' ? 'generative' : 'none (no model needed)'}</dd>
                    </div>
                    <div>
                      <dt>Tokens</dt>
                      <dd>{turn.done.mode === 'generative' ? '—' : '0'}</dd>
                    </div>
                    <div>
                      <dt>Server time</dt>
                      <dd>{formatMs(turn.done.latency_ms)}</dd>
                    </div>
                    <div>
                      <dt>First text / total</dt>
                      <dd>
                        {formatMs(turn.firstTokenMs ?? 0)} / {formatMs(turn.totalMs ?? 0)}
                      </dd>
                    </div>
                  </dl>
                ) : null}
                {turn.sources.some((source) => source.snippet) ? (
                  <details>
                    <summary>Cited passages</summary>
                    <ol class="snippets">
                      {turn.sources.map((source, i) => (
                        <li key={i}>
                          <strong>{source.title}</strong> <span class="muted small">score {source.score?.toFixed(2)}</span>
                          <p>{source.snippet}</p>
                        </li>
                      ))}
                    </ol>
                  </details>
                ) : null}
                {canEdit && turn.done ? (
                  turn.improving ? (
                    <CuratedAnswerForm
                      botId={botId}
                      initialQuestion={turn.question}
                      initialAnswer={turn.done.mode === 'fallback' ? '' : turn.answer}
                      onSaved={(result) =>
                        change(index, {
                          improving: false,
                          improved: `Saved: the bot now answers "${result.pair.question}" with your answer${result.test ? ', and a test checks it' : ''}. Ask again to see it.`,
                        })
                      }
                      onCancel={() => change(index, { improving: false })}
                    />
                  ) : (
                    <button type="button" class="small improve" onClick={() => change(index, { improving: true, improved: undefined })}>
                      Improve this answer
                    </button>
                  )
                ) : null}
                <Alert message={turn.improved ?? null} kind="success" />
              </div>
            </div>
          ))
        )}
      </div>
      <form class="card ask" onSubmit={ask}>
        <label class="grow">
          <span class="sr-only">Your question</span>
          <input value={question} maxLength={4000} placeholder="Ask a question as a visitor would…" onInput={(e) => setQuestion(e.currentTarget.value)} />
        </label>
        <button class="primary" type="submit" disabled={busy}>
          Ask
        </button>
        <button
          type="button"
          onClick={() => {
            setTurns([]);
            setToken(null);
          }}
        >
          New conversation
        </button>
      </form>
    </div>
  );
}
