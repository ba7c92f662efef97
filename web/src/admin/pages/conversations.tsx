// Conversations: search and filter, transcripts with sources and feedback, export as CSV or JSON. On a bot's answer
// in a transcript, "Improve this answer" (owners and admins) teaches the bot a better one: the same one-step form as
// the playground's and the suggestions'.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, type ConversationRow, type TranscriptMessage } from '../api';
import { CuratedAnswerForm } from '../curated-answer';
import { formatDate, formatMs, formatPercent } from '../format';
import { type BaseFilters, FilterForm, LoadMore, useFilteredList } from '../filtered-list';
import { Alert, Empty, Loading, Markdown, SourceChips } from '../ui';

interface Filters extends BaseFilters {
  mode: string;
  rating: string;
}

export function Conversations({ botId, conversationId, canExport, canEdit }: { botId: string; conversationId?: string; canExport: boolean; canEdit: boolean }) {
  return conversationId ? <Transcript botId={botId} id={conversationId} canEdit={canEdit} /> : <ConversationList botId={botId} canExport={canExport} />;
}

// The URL of the fine-tuning export (JSON Lines in OpenAI's chat format) with the chosen options.
export function finetuneUrl(botId: string, includeNegative: boolean, redact: boolean): string {
  return `/api/v1/bots/${botId}/conversations/export-finetune?include_negative=${includeNegative ? 1 : 0}&redact=${redact ? 1 : 0}`;
}

// Owners and admins: rated conversations as training data, personal data redacted unless they untick it (audited).
function FinetuneExport({ botId }: { botId: string }) {
  const [includeNegative, setIncludeNegative] = useState(false);
  const [redact, setRedact] = useState(true);
  return (
    <section class="card finetune" aria-labelledby="finetune-title">
      <h2 id="finetune-title">Export for fine-tuning</h2>
      <p class="muted small">
        Conversations with a helpful rating, as JSON Lines in OpenAI's chat fine-tuning format. Answers rated not helpful
        are marked so that a model does not learn from them.
      </p>
      <label class="check">
        <input type="checkbox" checked={includeNegative} onChange={(e) => setIncludeNegative(e.currentTarget.checked)} /> Also
        conversations rated not helpful
      </label>
      <label class="check">
        <input type="checkbox" checked={redact} onChange={(e) => setRedact(e.currentTarget.checked)} /> Replace personal data
        (emails, phone numbers, card numbers…) with placeholders
      </label>
      <a class="button" href={finetuneUrl(botId, includeNegative, redact)} download>
        Download JSONL
      </a>
    </section>
  );
}

function ConversationList({ botId, canExport }: { botId: string; canExport: boolean }) {
  const list = useFilteredList<ConversationRow, Filters>(`/bots/${botId}/conversations`, 'conversations', {
    q: '',
    mode: '',
    rating: '',
    from: '',
    to: '',
  });
  const { filters, setFilters, rows, error } = list;

  return (
    <div class="stack">
      <FilterForm list={list} searchLabel="Search messages" searchPlaceholder="e.g. refund">
        <label>
          Answer type
          <select value={filters.mode} onChange={(e) => setFilters({ ...filters, mode: e.currentTarget.value })}>
            <option value="">Any</option>
            <option value="faq">Curated (faq)</option>
            <option value="extractive">From pages (extractive)</option>
            <option value="fallback">Not answered (fallback)</option>
            <option value="generative">Generative</option>
          </select>
        </label>
        <label>
          Feedback
          <select value={filters.rating} onChange={(e) => setFilters({ ...filters, rating: e.currentTarget.value })}>
            <option value="">Any</option>
            <option value="up">Helpful</option>
            <option value="down">Not helpful</option>
          </select>
        </label>
      </FilterForm>
      <Alert message={error} />
      {rows === null ? (
        error ? null : <Loading />
      ) : rows.length === 0 ? (
        <Empty title="No conversations match">
          <p>Conversations appear here as soon as someone chats with the bot, in the widget or the playground.</p>
        </Empty>
      ) : (
        <table class="table card">
          <thead>
            <tr>
              <th>First question</th>
              <th>Messages</th>
              <th>Not answered</th>
              <th>Feedback</th>
              <th>Started</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id}>
                <td data-label="First question">
                  <a href={`#/bots/${botId}/conversations/${row.id}`} class="break">
                    {row.first_question || '(no question)'}
                  </a>
                  {row.test ? (
                    <span class="pill pill-test" title="From the playground: not counted in analytics">
                      {' '}
                      Test
                    </span>
                  ) : null}
                </td>
                <td data-label="Messages">{row.message_count}</td>
                <td data-label="Not answered">{row.fallback_count > 0 ? <span class="pill pill-fallback">{row.fallback_count}</span> : '0'}</td>
                <td data-label="Feedback">
                  {row.thumbs_up} helpful · {row.thumbs_down} not
                </td>
                <td data-label="Started">{formatDate(row.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore shown={list.more} onClick={list.loadMore} />
      {canExport ? <FinetuneExport botId={botId} /> : null}
    </div>
  );
}

// The visitor's question an answer answered: the latest visitor message before it.
function questionBefore(messages: TranscriptMessage[], index: number): string {
  for (let i = index - 1; i >= 0; --i) if (messages[i].role === 'user') return messages[i].text;
  return '';
}

function Transcript({ botId, id, canEdit }: { botId: string; id: string; canEdit: boolean }) {
  const [messages, setMessages] = useState<TranscriptMessage[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [improving, setImproving] = useState<number | null>(null); // the message whose answer is being improved
  const [improved, setImproved] = useState<{ id: number; text: string } | null>(null);
  useEffect(() => {
    api<{ messages: TranscriptMessage[] }>('GET', `/bots/${botId}/conversations/${id}`)
      .then((body) => setMessages(body.messages))
      .catch((failure) => setError(errorMessage(failure)));
  }, [botId, id]);
  return (
    <div class="stack">
      <a href={`#/bots/${botId}/conversations`}>← All conversations</a>
      <p class="muted small">
        Visitor: <code>{id}</code> (erase their data under Data)
      </p>
      <Alert message={error} />
      {messages === null ? (
        error ? null : <Loading />
      ) : (
        <ol class="card transcript">
          {messages.map((message, index) => (
            <li key={message.id} class={`turn-${message.role}`}>
              <p class="who">
                {message.role === 'user' ? 'Visitor' : message.role === 'agent' ? message.author || 'Agent' : message.role === 'system' ? 'Notice' : 'Bot'} · <span class="muted small">{formatDate(message.created_at)}</span>
              </p>
              {message.role === 'user' ? <p class="question">{message.text}</p> : <Markdown text={message.text} />}
              {message.role === 'assistant' ? (
                <>
                  <SourceChips sources={message.sources ?? []} />
                  <p class="muted small">
                    <span class={`pill pill-${message.mode}`}>{message.mode}</span> confidence {formatPercent(message.confidence)} · {formatMs(message.latency_ms ?? 0)}
                    {message.rating ? (message.rating > 0 ? ' · rated helpful' : ' · rated not helpful') : ''}
                  </p>
                  {canEdit && improving === message.id ? (
                    <CuratedAnswerForm
                      botId={botId}
                      initialQuestion={questionBefore(messages, index)}
                      initialAnswer={message.mode === 'fallback' ? '' : message.text}
                      onSaved={(result) => {
                        setImproving(null);
                        setImproved({ id: message.id, text: `Saved: the bot now answers "${result.pair.question}" with your answer${result.test ? ', and a test checks it' : ''}.` });
                      }}
                      onCancel={() => setImproving(null)}
                    />
                  ) : canEdit ? (
                    <button type="button" class="small improve" onClick={() => setImproving(message.id)}>
                      Improve this answer
                    </button>
                  ) : null}
                  <Alert message={improved?.id === message.id ? improved.text : null} kind="success" />
                </>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
