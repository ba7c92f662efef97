// Webhooks (docs/LEADS.md): subscriptions per workspace or bot, their events and format (JSON, or a Slack incoming
// webhook), the signing secret shown once, each webhook's delivery log with every attempt, and manual replay.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, type Bot, type Delivery, type Webhook } from '../api';
import { formatDate } from '../format';
import { FieldError, invalidProps, problemOf, type FieldProblem } from '../fields';
import { Alert, Empty, Loading } from '../ui';

// What "Send test event" got back from the receiver (POST /webhooks/{id}/test).
interface TestOutcome {
  delivered: boolean;
  status: number;
  error: string;
  response: string;
  duration_ms: number;
}

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
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [tests, setTests] = useState<Record<string, TestOutcome | 'sending'>>({});

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
    setProblem(null);
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
      const found = problemOf(failure);
      if (found.field === 'url' || found.field === 'events') setProblem(found);
      else setError(found.message);
    }
  };
  const sendTest = async (hook: Webhook) => {
    setTests((current) => ({ ...current, [hook.id]: 'sending' }));
    try {
      const outcome = await api<TestOutcome>('POST', `/webhooks/${hook.id}/test`);
      setTests((current) => ({ ...current, [hook.id]: outcome }));
    } catch (failure) {
      setTests((current) => ({ ...current, [hook.id]: { delivered: false, status: 0, error: errorMessage(failure), response: '', duration_ms: 0 } }));
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
        Parley sends each event to your address as it happens (to your CRM, helpdesk or a Slack channel). Every event is signed with a secret that only
        Parley and your receiver know, so the receiver can check it came from Parley (how: see the webhooks section of the documentation). If your
        receiver does not answer, Parley tries again for 24 hours.
      </p>
      <Alert message={error} />
      {secret ? (
        <div class="alert alert-success" role="status">
          The signing secret (shown only now; give it to the receiver so it can check that events come from Parley): <code class="secret">{secret}</code>
        </div>
      ) : null}
      <form class="card stack" onSubmit={create} aria-label="New webhook">
        <h2>New webhook</h2>
        <div class="row">
          <div class="field grow">
          <label>
            Receiver's address
            <input type="url" required value={draft.url} placeholder="https://example.com/parley-events" onInput={(e) => setDraft({ ...draft, url: e.currentTarget.value })} {...invalidProps(problem, 'webhook', 'url')} />
          </label>
          <FieldError problem={problem} form="webhook" field="url" />
          </div>
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
              <option value="json">For your own systems (JSON, signed)</option>
              <option value="slack">Slack incoming webhook</option>
            </select>
          </label>
        </div>
        <fieldset {...invalidProps(problem, 'webhook', 'events')}>
          <legend>Events</legend>
          {EVENT_TYPES.map(([type, label]) => (
            <label key={type} class="check">
              <input type="checkbox" checked={draft.events.includes(type)} onChange={(e) => toggleEvent(type, e.currentTarget.checked)} />
              <span>
                {label} <span class="muted small">({type})</span>
              </span>
            </label>
          ))}
          <FieldError problem={problem} form="webhook" field="events" />
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
              <th>Address</th>
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
                <td data-label="Address">
                  <a href={`#/webhooks/${hook.id}`} class="break">
                    {hook.url}
                  </a>
                  {hook.description ? <div class="muted small">{hook.description}</div> : null}
                  <TestResult outcome={tests[hook.id]} />
                </td>
                <td data-label="Bot">{botName(hook.bot_id)}</td>
                <td data-label="Events">{hook.events.map((type) => EVENT_TYPES.find(([name]) => name === type)?.[1] ?? type).join('; ')}</td>
                <td data-label="Format">{hook.format === 'slack' ? 'Slack' : 'JSON'}</td>
                <td data-label="Active">
                  <label class="check">
                    <input type="checkbox" checked={hook.active} onChange={(e) => update(hook, { active: e.currentTarget.checked })} /> {hook.active ? 'on' : 'off'}
                  </label>
                </td>
                <td class="row" data-label="Actions">
                  <button type="button" disabled={tests[hook.id] === 'sending'} onClick={() => sendTest(hook)} aria-label={`Send a test event to ${hook.url}`}>
                    {tests[hook.id] === 'sending' ? 'Sending…' : 'Send test event'}
                  </button>
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

function TestResult({ outcome }: { outcome?: TestOutcome | 'sending' }) {
  if (!outcome || outcome === 'sending') return null;
  return (
    <div class={`test-result alert ${outcome.delivered ? 'alert-success' : 'alert-error'}`} role="status" aria-label="Test event result">
      <p>
        {outcome.delivered
          ? `The receiver accepted the test event (HTTP ${outcome.status}, ${outcome.duration_ms} ms).`
          : outcome.status
            ? `The receiver refused the test event: HTTP ${outcome.status}.`
            : `The test event did not arrive: ${outcome.error}.`}
      </p>
      {outcome.response ? (
        <>
          <p class="small">Its answer:</p>
          <pre>{outcome.response}</pre>
        </>
      ) : null}
    </div>
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
                <td data-label="Event">
                  <code>{delivery.event_type}</code>
                  <div class="muted small">{delivery.event_id}</div>
                </td>
                <td data-label="State">
                  <span class={`pill pill-${delivery.state === 'delivered' ? 'ready' : delivery.state === 'failed' ? 'failed' : 'processing'}`}>{delivery.state}</span>
                  {delivery.next_attempt_at ? <div class="muted small">next try {formatDate(delivery.next_attempt_at)}</div> : null}
                </td>
                <td data-label="Attempts">{delivery.attempts}</td>
                <td data-label="Last answer">
                  {delivery.last_status ? `HTTP ${delivery.last_status}` : ''} {delivery.last_error}
                </td>
                <td data-label="Created">{formatDate(delivery.created_at)}</td>
                <td class="row" data-label="Actions">
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
