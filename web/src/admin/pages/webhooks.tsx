// Webhooks (docs/LEADS.md): subscriptions per workspace or bot, their events and format (JSON, or a Slack incoming
// webhook), the signing secret shown once, each webhook's delivery log with every attempt, and manual replay.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, type Bot, type Delivery, type Webhook } from '../api';
import { formatDate } from '../format';
import { Alert, Empty, Loading } from '../ui';

export const EVENT_TYPES: [string, string][] = [
  ['lead.created', 'A visitor left their details'],
  ['conversation.handoff_requested', 'A visitor asked for a person'],
  ['conversation.closed', 'An agent closed a conversation'],
  ['message.created', 'Every message (visitor, bot, agent)'],
  ['feedback.created', 'Thumbs up or down on an answer'],
];

interface Draft {
  url: string;
  bot_id: string;
  events: string[];
  format: 'json' | 'slack';
  description: string;
}

const EMPTY: Draft = { url: '', bot_id: '', events: ['lead.created', 'conversation.handoff_requested'], format: 'json', description: '' };

export function Webhooks({ webhookId }: { webhookId?: string }) {
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [bots, setBots] = useState<Bot[]>([]);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = () =>
    api<{ webhooks: Webhook[] }>('GET', '/webhooks')
      .then((body) => setHooks(body.webhooks))
      .catch((failure) => setError(errorMessage(failure)));
  useEffect(() => {
    void load();
    api<{ bots: Bot[] }>('GET', '/bots')
      .then((body) => setBots(body.bots))
      .catch(() => undefined);
  }, []);
  const botName = (id: string | null) => (id ? bots.find((bot) => bot.id === id)?.name ?? id : 'All bots');

  const create = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setSecret(null);
    try {
      const created = await api<Webhook>('POST', '/webhooks', {
        url: draft.url.trim(),
        events: draft.events,
        format: draft.format,
        description: draft.description,
        ...(draft.bot_id ? { bot_id: draft.bot_id } : {}),
      });
      setSecret(created.secret);
      setDraft(EMPTY);
      await load();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  const update = async (hook: Webhook, change: Record<string, unknown>) => {
    setError(null);
    try {
      const updated = await api<Webhook>('PATCH', `/webhooks/${hook.id}`, change);
      if (change.rotate_secret) setSecret(updated.secret);
      await load();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  const remove = async (hook: Webhook) => {
    if (!confirm(`Delete the webhook to ${hook.url}? Its pending deliveries are dropped.`)) return;
    try {
      await api('DELETE', `/webhooks/${hook.id}`);
      await load();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  const toggleEvent = (type: string, on: boolean) =>
    setDraft({ ...draft, events: on ? [...draft.events, type] : draft.events.filter((event) => event !== type) });

  const selected = hooks?.find((hook) => hook.id === webhookId);
  return (
    <main class="page">
      <h1>Webhooks</h1>
      <p class="muted">
        Parley POSTs each event as JSON, signed: <code>Parley-Signature: v1=HMAC-SHA256(secret, "timestamp.body")</code>. Failed deliveries are retried
        for 24 hours.
      </p>
      <Alert message={error} />
      {secret ? (
        <div class="alert alert-success" role="status">
          Signing secret (shown only now; keep it with the receiver): <code class="secret">{secret}</code>
        </div>
      ) : null}
      <form class="card stack" onSubmit={create} aria-label="New webhook">
        <h2>New webhook</h2>
        <div class="row">
          <label class="grow">
            URL
            <input type="url" required value={draft.url} placeholder="https://example.com/parley-events" onInput={(e) => setDraft({ ...draft, url: e.currentTarget.value })} />
          </label>
          <label>
            Bot
            <select value={draft.bot_id} onChange={(e) => setDraft({ ...draft, bot_id: e.currentTarget.value })}>
              <option value="">All bots</option>
              {bots.map((bot) => (
                <option key={bot.id} value={bot.id}>
                  {bot.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Format
            <select value={draft.format} onChange={(e) => setDraft({ ...draft, format: e.currentTarget.value as Draft['format'] })}>
              <option value="json">JSON (signed)</option>
              <option value="slack">Slack incoming webhook</option>
            </select>
          </label>
        </div>
        <fieldset>
          <legend>Events</legend>
          {EVENT_TYPES.map(([type, label]) => (
            <label key={type} class="check">
              <input type="checkbox" checked={draft.events.includes(type)} onChange={(e) => toggleEvent(type, e.currentTarget.checked)} /> <code>{type}</code> {label}
            </label>
          ))}
        </fieldset>
        <label>
          Description
          <input maxLength={500} value={draft.description} onInput={(e) => setDraft({ ...draft, description: e.currentTarget.value })} />
        </label>
        <button class="primary" type="submit" disabled={!draft.url.trim() || draft.events.length === 0}>
          Add webhook
        </button>
      </form>
      {hooks === null ? (
        error ? null : <Loading />
      ) : hooks.length === 0 ? (
        <Empty title="No webhooks yet">
          <p>Add one above to send new leads, handoff requests and messages to your CRM, helpdesk or Slack.</p>
        </Empty>
      ) : (
        <table class="table card">
          <thead>
            <tr>
              <th>URL</th>
              <th>Bot</th>
              <th>Events</th>
              <th>Format</th>
              <th>Active</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {hooks.map((hook) => (
              <tr key={hook.id} aria-current={hook.id === webhookId ? 'true' : undefined}>
                <td>
                  <a href={`#/webhooks/${hook.id}`}>{hook.url}</a>
                  {hook.description ? <div class="muted small">{hook.description}</div> : null}
                </td>
                <td>{botName(hook.bot_id)}</td>
                <td>{hook.events.join(', ')}</td>
                <td>{hook.format}</td>
                <td>
                  <label class="check">
                    <input type="checkbox" checked={hook.active} onChange={(e) => update(hook, { active: e.currentTarget.checked })} /> {hook.active ? 'on' : 'off'}
                  </label>
                </td>
                <td class="row">
                  <a href={`#/webhooks/${hook.id}`}>Delivery log</a>
                  <button type="button" onClick={() => update(hook, { rotate_secret: true })}>
                    New secret
                  </button>
                  <button type="button" class="danger" onClick={() => remove(hook)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected ? <DeliveryLog key={selected.id} hook={selected} /> : null}
    </main>
  );
}

function DeliveryLog({ hook }: { hook: Webhook }) {
  const [state, setState] = useState('');
  const [rows, setRows] = useState<Delivery[] | null>(null);
  const [open, setOpen] = useState<Delivery | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api<{ deliveries: Delivery[] }>('GET', `/webhooks/${hook.id}/deliveries?limit=100${state ? `&state=${state}` : ''}`)
      .then((body) => setRows(body.deliveries))
      .catch((failure) => setError(errorMessage(failure)));
  useEffect(() => void load(), [hook.id, state]);

  const replay = async (delivery: Delivery) => {
    setError(null);
    try {
      await api('POST', `/deliveries/${delivery.id}/replay`);
      await load();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  const details = async (delivery: Delivery) => {
    try {
      setOpen(await api<Delivery>('GET', `/deliveries/${delivery.id}`));
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  return (
    <section class="stack" aria-label="Delivery log">
      <h2>Delivery log: {hook.url}</h2>
      <div class="row">
        <label>
          State
          <select value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">Any</option>
            <option value="pending">Pending (retrying)</option>
            <option value="delivered">Delivered</option>
            <option value="failed">Failed</option>
          </select>
        </label>
        <button type="button" onClick={() => load()}>
          Refresh
        </button>
      </div>
      <Alert message={error} />
      {rows === null ? (
        error ? null : <Loading />
      ) : rows.length === 0 ? (
        <Empty title="No deliveries yet" />
      ) : (
        <table class="table card">
          <thead>
            <tr>
              <th>Event</th>
              <th>State</th>
              <th>Attempts</th>
              <th>Last answer</th>
              <th>Created</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((delivery) => (
              <tr key={delivery.id} data-delivery={delivery.id}>
                <td>
                  <code>{delivery.event_type}</code>
                  <div class="muted small">{delivery.event_id}</div>
                </td>
                <td>
                  <span class={`pill pill-${delivery.state === 'delivered' ? 'ready' : delivery.state === 'failed' ? 'failed' : 'processing'}`}>{delivery.state}</span>
                  {delivery.next_attempt_at ? <div class="muted small">next try {formatDate(delivery.next_attempt_at)}</div> : null}
                </td>
                <td>{delivery.attempts}</td>
                <td>
                  {delivery.last_status ? `HTTP ${delivery.last_status}` : ''} {delivery.last_error}
                </td>
                <td>{formatDate(delivery.created_at)}</td>
                <td class="row">
                  <button type="button" onClick={() => details(delivery)}>
                    Attempts
                  </button>
                  <button type="button" onClick={() => replay(delivery)}>
                    Replay
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open ? (
        <div class="card stack" aria-label="Delivery attempts">
          <h3>
            Delivery {open.id}: <code>{open.event_type}</code>
          </h3>
          {open.attempts_log?.length ? (
            <ol>
              {open.attempts_log.map((attempt, index) => (
                <li key={index}>
                  {formatDate(attempt.at)}: {attempt.status ? `HTTP ${attempt.status}` : 'no answer'} {attempt.error} ({attempt.duration_ms} ms)
                </li>
              ))}
            </ol>
          ) : (
            <p class="muted">Not tried yet.</p>
          )}
          <pre class="payload">{JSON.stringify(open.payload, null, 2)}</pre>
        </div>
      ) : null}
    </section>
  );
}
