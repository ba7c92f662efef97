// The agents' live inbox (docs/LEADS.md): conversations waiting for a person appear at once (Server-Sent Events from
// /api/v1/inbox/events), with the transcript and the auto-written summary; an agent claims one, replies (the
// visitor sees it live in the widget), hands it back to the bot or closes it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorMessage, type Bot, type InboxRow, type TranscriptMessage } from '../api';
import { formatDate } from '../format';
import { navigate } from '../router';
import { Alert, Empty, Loading, Markdown } from '../ui';

interface LiveMessage {
  conversation_id: string;
  message: TranscriptMessage;
}

const STATUS_LABELS: Record<string, string> = { waiting_for_agent: 'Waiting', with_agent: 'With an agent', open: 'With the bot', closed: 'Closed' };
const isInInbox = (row: InboxRow) => row.status === 'waiting_for_agent' || row.status === 'with_agent';

// The live list: the "inbox" snapshot replaces it; later events add, update or remove one conversation.
export function applyInboxEvent(rows: InboxRow[], event: string, data: { conversations?: InboxRow[]; conversation?: InboxRow; conversation_id?: string; message?: TranscriptMessage }): InboxRow[] {
  if (event === 'inbox') return data.conversations ?? [];
  if (event === 'message' && data.message) {
    return rows.map((row) => (row.id === data.conversation_id ? { ...row, message_count: row.message_count + 1, last_message: { role: data.message!.role, text: data.message!.text } } : row));
  }
  const changed = data.conversation;
  if (!changed) return rows;
  const others = rows.filter((row) => row.id !== changed.id);
  return isInInbox(changed) ? [changed, ...others].sort((a, b) => (a.handoff_requested_at ?? '').localeCompare(b.handoff_requested_at ?? '')) : others;
}

export function Inbox({ botId, conversationId }: { botId?: string; conversationId?: string }) {
  const [rows, setRows] = useState<InboxRow[] | null>(null);
  const [bots, setBots] = useState<Record<string, string>>({});
  const [connected, setConnected] = useState(true);
  const [announcement, setAnnouncement] = useState('');
  const listeners = useRef(new Set<(live: LiveMessage) => void>());

  useEffect(() => {
    api<{ bots: Bot[] }>('GET', '/bots')
      .then((body) => setBots(Object.fromEntries(body.bots.map((bot) => [bot.id, bot.name]))))
      .catch(() => undefined);
    const source = new EventSource('/api/v1/inbox/events');
    const on = (event: string) =>
      source.addEventListener(event, (message) => {
        const data = JSON.parse((message as MessageEvent).data);
        setRows((current) => applyInboxEvent(current ?? [], event, data));
        if (event === 'handoff_requested') setAnnouncement(`A visitor is waiting: ${data.conversation?.first_question || 'new conversation'}`);
        if (event === 'message') listeners.current.forEach((listener) => listener(data as LiveMessage));
      });
    for (const event of ['inbox', 'handoff_requested', 'handoff_outside_hours', 'claimed', 'unclaimed', 'handed_back', 'closed', 'message']) on(event);
    source.onopen = () => setConnected(true);
    // EventSource reconnects by itself; the next "inbox" snapshot brings the list up to date.
    source.onerror = () => setConnected(false);
    return () => source.close();
  }, []);

  const waiting = rows?.filter((row) => row.status === 'waiting_for_agent').length ?? 0;
  useEffect(() => {
    document.title = waiting ? `(${waiting}) Inbox · Parley` : 'Inbox · Parley';
    return () => void (document.title = 'Parley');
  }, [waiting]);

  const selected = rows?.find((row) => row.id === conversationId);
  return (
    <main class="page">
      <h1>Inbox</h1>
      <p class="sr-only" role="status" aria-live="assertive">
        {announcement}
      </p>
      {!connected ? <Alert kind="info" message="Reconnecting to the live inbox…" /> : null}
      <div class="inbox">
        <section class="card inbox-list" aria-label="Conversations for a person">
          {rows === null ? (
            <Loading />
          ) : rows.length === 0 ? (
            <Empty title="Nobody is waiting">
              <p>When a visitor asks for a person, the conversation appears here at once.</p>
            </Empty>
          ) : (
            <ul>
              {rows.map((row) => (
                <li key={row.id} aria-current={row.id === conversationId ? 'true' : undefined}>
                  <a href={`#/inbox/${row.bot_id}/${row.id}`}>
                    <span class={`pill pill-${row.status}`}>{STATUS_LABELS[row.status]}</span> <strong>{bots[row.bot_id] ?? row.bot_id}</strong>
                    <span class="muted small"> · {formatDate(row.handoff_requested_at ?? row.updated_at)}</span>
                    <span class="inbox-line">{row.first_question || '(no question yet)'}</span>
                    {row.last_message ? <span class="inbox-line muted small">{row.last_message.text}</span> : null}
                  </a>
                </li>
              ))}
            </ul>
          )}
        </section>
        {botId && conversationId ? (
          <Conversation key={conversationId} botId={botId} row={selected} conversationId={conversationId} botName={bots[botId]} listeners={listeners.current} />
        ) : (
          <section class="card inbox-detail">
            <p class="muted">Choose a conversation to see its transcript and summary.</p>
          </section>
        )}
      </div>
    </main>
  );
}

function Conversation({ botId, conversationId, row, botName, listeners }: { botId: string; conversationId: string; row?: InboxRow; botName?: string; listeners: Set<(live: LiveMessage) => void> }) {
  const [messages, setMessages] = useState<TranscriptMessage[] | null>(null);
  const [reply, setReply] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const logRef = useRef<HTMLOListElement>(null);

  useEffect(() => {
    const add = (live: LiveMessage) => {
      if (live.conversation_id !== conversationId) return;
      setMessages((current) => (current && !current.some((m) => m.id === live.message.id) ? [...current, live.message] : current));
    };
    listeners.add(add);
    api<{ messages: TranscriptMessage[] }>('GET', `/bots/${botId}/conversations/${conversationId}`)
      .then((body) => setMessages(body.messages))
      .catch((failure) => setError(errorMessage(failure)));
    return () => void listeners.delete(add);
  }, [botId, conversationId]);
  useEffect(() => {
    logRef.current?.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }, [messages?.length]);

  const act = async (action: 'claim' | 'reply' | 'handback' | 'close') => {
    setError(null);
    setBusy(true);
    try {
      const path = `/bots/${botId}/conversations/${conversationId}/${action}`;
      if (action === 'reply') {
        const sent = await api<TranscriptMessage>('POST', path, { text: reply });
        setReply('');
        setMessages((current) => (current && !current.some((m) => m.id === sent.id) ? [...current, sent] : current));
      } else {
        await api('POST', path);
        if (action !== 'claim') navigate('/inbox');
      }
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  const status = row?.status ?? 'closed';
  return (
    <section class="card inbox-detail" aria-label="Conversation">
      <h2>
        {botName ?? botId} <span class={`pill pill-${status}`}>{STATUS_LABELS[status]}</span>
        {row?.agent_name ? <span class="muted small"> · {row.agent_name}</span> : null}
      </h2>
      {row?.summary ? (
        <div class="summary">
          <h3>Summary</h3>
          <p>{row.summary}</p>
        </div>
      ) : null}
      {!row ? <Alert kind="info" message="This conversation is no longer waiting for a person." /> : null}
      <Alert message={error} />
      {messages === null ? (
        error ? null : <Loading />
      ) : (
        <ol class="transcript" ref={logRef}>
          {messages.map((message) => (
            <li key={message.id} class={`turn-${message.role}`}>
              <p class="who">
                {message.role === 'user' ? 'Visitor' : message.role === 'agent' ? message.author || 'Agent' : message.role === 'system' ? 'Notice' : 'Bot'}
                {message.created_at ? <span class="muted small"> · {formatDate(message.created_at)}</span> : null}
              </p>
              {message.role === 'user' ? <p class="question">{message.text}</p> : <Markdown text={message.text} />}
            </li>
          ))}
        </ol>
      )}
      {row ? (
        <div class="stack">
          {status === 'waiting_for_agent' ? (
            <button type="button" class="primary" disabled={busy} onClick={() => act('claim')}>
              Claim this conversation
            </button>
          ) : (
            <form
              class="stack"
              onSubmit={(event) => {
                event.preventDefault();
                if (reply.trim()) void act('reply');
              }}
            >
              <label>
                Reply to the visitor
                <textarea rows={3} value={reply} maxLength={4000} onInput={(event) => setReply(event.currentTarget.value)} />
              </label>
              <button type="submit" class="primary" disabled={busy || !reply.trim()}>
                Send reply
              </button>
            </form>
          )}
          <p class="row">
            <button type="button" disabled={busy} onClick={() => act('handback')}>
              Hand back to the bot
            </button>
            <button type="button" disabled={busy} onClick={() => act('close')}>
              Close the conversation
            </button>
          </p>
        </div>
      ) : null}
    </section>
  );
}
