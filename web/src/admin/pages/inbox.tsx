// The agents' live inbox (docs/LEADS.md): conversations waiting for a person appear at once (the shared live feed,
// inbox-feed.ts), each with how many of its messages are unread, the transcript and the auto-written summary; an
// agent claims one, replies (the visitor sees it live in the widget, under the agent's name), hands it back to the
// bot or closes it. A new waiting visitor chimes and, when allowed, shows a desktop notification (app.tsx).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorMessage, type Bot, type InboxRow, type TranscriptMessage, type User } from '../api';
import { askForNotifications, notificationState, setSoundOn, soundOn, type NotificationState } from '../alerts';
import { formatDate } from '../format';
import { inboxFeed, unreadCount, type InboxEvent } from '../inbox-feed';
import { navigate } from '../router';
import { Alert, Empty, Loading, Markdown } from '../ui';

const STATUS_LABELS: Record<string, string> = { waiting_for_agent: 'Waiting', with_agent: 'With an agent', open: 'With the bot', closed: 'Closed' };

// The name visitors see when this person answers: their own, or their email's name until they set one.
export function agentName(user: User | null): string {
  if (!user) return 'Support';
  return user.name || user.email.split('@')[0];
}

// Re-renders on every event of the shared feed.
function useInboxFeed(): { rows: InboxRow[] | null; connected: boolean; seen: Record<string, number> } {
  const [, setVersion] = useState(0);
  useEffect(() => {
    inboxFeed.start();
    return inboxFeed.subscribe(() => setVersion((version) => version + 1));
  }, []);
  return { rows: inboxFeed.rows, connected: inboxFeed.connected, seen: inboxFeed.seen };
}

export function Inbox({ botId, conversationId, user }: { botId?: string; conversationId?: string; user: User | null }) {
  const { rows, connected, seen } = useInboxFeed();
  const [bots, setBots] = useState<Record<string, string>>({});
  const [announcement, setAnnouncement] = useState('');
  const [sound, setSound] = useState(soundOn());
  const [notifications, setNotifications] = useState<NotificationState>(notificationState());

  useEffect(() => {
    api<{ bots: Bot[] }>('GET', '/bots')
      .then((body) => setBots(Object.fromEntries(body.bots.map((bot) => [bot.id, bot.name]))))
      .catch(() => undefined);
    return inboxFeed.subscribe((event, data) => {
      if (event === 'handoff_requested') setAnnouncement(`A visitor is waiting: ${data.conversation?.first_question || 'new conversation'}`);
    });
  }, []);

  const selected = rows?.find((row) => row.id === conversationId);
  return (
    <main class="page">
      <h1>Inbox</h1>
      <p class="sr-only" role="status" aria-live="assertive">
        {announcement}
      </p>
      <div class="inbox-tools">
        <button type="button" aria-pressed={sound} onClick={() => (setSoundOn(!sound), setSound(!sound))}>
          Sound for new visitors: {sound ? 'on' : 'off'}
        </button>
        {notifications === 'on' ? (
          <span class="muted small">Desktop notifications are on.</span>
        ) : notifications === 'off' ? (
          <button type="button" onClick={async () => setNotifications(await askForNotifications())}>
            Turn on desktop notifications
          </button>
        ) : notifications === 'blocked' ? (
          <span class="muted small">Desktop notifications are blocked for this site in your browser's settings.</span>
        ) : null}
        <span class="muted small">
          Visitors see you as <strong>{agentName(user)}</strong>
          {user && !user.name ? (
            <>
              {' '}
              (<a href="#/account">set your name</a>)
            </>
          ) : null}
          .
        </span>
      </div>
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
              {rows.map((row) => {
                const unread = row.id === conversationId ? 0 : unreadCount(row, seen[row.id]);
                return (
                  <li key={row.id} aria-current={row.id === conversationId ? 'true' : undefined}>
                    <a href={`#/inbox/${row.bot_id}/${row.id}`}>
                      <span class={`pill pill-${row.status}`}>{STATUS_LABELS[row.status]}</span> <strong>{bots[row.bot_id] ?? row.bot_id}</strong>
                      {unread > 0 ? (
                        <span class="unread" aria-label={`${unread} unread`}>
                          {unread}
                        </span>
                      ) : null}
                      <span class="muted small"> · {formatDate(row.handoff_requested_at ?? row.updated_at)}</span>
                      {row.agent_name ? <span class="inbox-line muted small">With {row.agent_name}</span> : null}
                      <span class="inbox-line">{row.first_question || '(no question yet)'}</span>
                      {row.last_message ? <span class="inbox-line muted small">{row.last_message.text}</span> : null}
                    </a>
                  </li>
                );
              })}
            </ul>
          )}
        </section>
        {botId && conversationId ? (
          <Conversation key={conversationId} botId={botId} row={selected} conversationId={conversationId} botName={bots[botId]} />
        ) : (
          <section class="card inbox-detail">
            <p class="muted">Choose a conversation to see its transcript and summary.</p>
          </section>
        )}
      </div>
    </main>
  );
}

function Conversation({ botId, conversationId, row, botName }: { botId: string; conversationId: string; row?: InboxRow; botName?: string }) {
  const [messages, setMessages] = useState<TranscriptMessage[] | null>(null);
  const [reply, setReply] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const logRef = useRef<HTMLOListElement>(null);

  useEffect(() => {
    const unsubscribe = inboxFeed.subscribe((event: string, data: InboxEvent) => {
      if (event !== 'message' || data.conversation_id !== conversationId || !data.message) return;
      const live = data.message;
      setMessages((current) => (current && !current.some((m) => m.id === live.id) ? [...current, live] : current));
    });
    api<{ messages: TranscriptMessage[] }>('GET', `/bots/${botId}/conversations/${conversationId}`)
      .then((body) => setMessages(body.messages))
      .catch((failure) => setError(errorMessage(failure)));
    return unsubscribe;
  }, [botId, conversationId]);
  useEffect(() => {
    logRef.current?.lastElementChild?.scrollIntoView({ block: 'nearest' });
    // What the agent has in front of them is read.
    if (row) inboxFeed.markRead(conversationId, row.message_count);
  }, [messages?.length, row?.message_count]);

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
        {row?.agent_name ? <span class="muted small"> · with {row.agent_name}</span> : null}
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
        <ol class="transcript" ref={logRef} aria-label="Transcript">
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
                <textarea
                  rows={4}
                  value={reply}
                  maxLength={4000}
                  onInput={(event) => setReply(event.currentTarget.value)}
                  onKeyDown={(event) => {
                    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && reply.trim()) {
                      event.preventDefault();
                      void act('reply');
                    }
                  }}
                />
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
