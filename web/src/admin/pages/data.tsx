// Data and privacy (issue 17, for owners and admins): how long the workspace keeps conversations and leads, and the
// erasure of one person's data on request (right to be forgotten). Both are recorded in the audit log.
import { useEffect, useState } from 'preact/hooks';
import { api, type Erasure, type Retention } from '../api';
import { FieldError, invalidProps, problemOf, type FieldProblem } from '../fields';
import { Alert, Loading } from '../ui';

export function erasureSummary(erased: Erasure): string {
  if (erased.nothing_to_erase) return 'Nothing to erase: no conversation, lead or delivery of this person.';
  return (
    `Erased ${erased.conversations} conversation${erased.conversations === 1 ? '' : 's'} (${erased.messages} messages), ` +
    `${erased.leads} lead${erased.leads === 1 ? '' : 's'}, and the contents of ${erased.deliveries} ` +
    `deliver${erased.deliveries === 1 ? 'y' : 'ies'}.`
  );
}

export function DataPage() {
  return (
    <main class="page">
      <h1>Data and privacy</h1>
      <RetentionForm />
      <ErasureForm />
    </main>
  );
}

function RetentionForm() {
  const [retention, setRetention] = useState<Retention | null>(null);
  const [draft, setDraft] = useState({ conversations_days: '', leads_days: '' });
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api<Retention>('GET', '/workspace/retention')
      .then((body) => {
        setRetention(body);
        setDraft({ conversations_days: String(body.conversations_days), leads_days: String(body.leads_days) });
      })
      .catch((failure) => setProblem(problemOf(failure)));
  }, []);
  const save = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setSaved(false);
    const wanted: Record<string, number> = {};
    for (const field of ['conversations_days', 'leads_days'] as const) {
      const value = draft[field].trim() === '' ? 0 : Number(draft[field]);
      if (!Number.isInteger(value) || value < 0) {
        setProblem({ field, message: 'Enter a whole number of days, 0 or more (0 keeps the data forever).' });
        return;
      }
      wanted[field] = value;
    }
    try {
      setRetention(await api<Retention>('PATCH', '/workspace/retention', wanted));
      setSaved(true);
    } catch (failure) {
      setProblem(problemOf(failure));
    }
  };
  const input = (field: 'conversations_days' | 'leads_days', label: string) => (
    <div class="field">
      <label>
        {label}
        <input
          type="number"
          min={0}
          step={1}
          inputMode="numeric"
          value={draft[field]}
          onInput={(e) => (setDraft({ ...draft, [field]: e.currentTarget.value }), setSaved(false))}
          {...invalidProps(problem, 'retention', field)}
        />
      </label>
      <FieldError problem={problem} form="retention" field={field} />
    </div>
  );
  return (
    <form class="card" onSubmit={save} aria-labelledby="retention-title" noValidate>
      <h2 id="retention-title">Retention</h2>
      <p class="muted small">
        Days to keep after the last activity; 0 keeps them forever. Older data is deleted once a day, a little at a time, and
        each run is recorded in the audit log.
      </p>
      {retention === null && !problem ? <Loading /> : null}
      {input('conversations_days', 'Conversations and their messages (days)')}
      {input('leads_days', 'Leads (days)')}
      {problem && !problem.field ? <Alert message={problem.message} /> : null}
      {saved ? <Alert kind="success" message="Saved." /> : null}
      <button class="primary" type="submit" disabled={retention === null}>
        Save retention
      </button>
    </form>
  );
}

function ErasureForm() {
  const [by, setBy] = useState<'email' | 'visitor'>('email');
  const [who, setWho] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [result, setResult] = useState<Erasure | null>(null);
  const [busy, setBusy] = useState(false);
  const erase = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setResult(null);
    if (!who.trim()) {
      setProblem({ field: 'who', message: by === 'email' ? 'Enter the email address.' : "Enter the visitor's conversation id or token." });
      return;
    }
    setBusy(true);
    try {
      const body = await api<{ erased: Erasure }>('POST', '/erasure', { [by]: who.trim() });
      setResult(body.erased);
      setWho('');
      setConfirmed(false);
    } catch (failure) {
      setProblem({ ...problemOf(failure), field: 'who' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={erase} aria-labelledby="erasure-title" noValidate>
      <h2 id="erasure-title">Erase a person's data</h2>
      <p class="muted small">
        Deletes their conversations and messages and their leads, and blanks the contents of the webhook and email
        deliveries that carried them (the deliveries stay listed). This cannot be undone. The audit log records that it
        happened and how much went, never the data.
      </p>
      <fieldset class="plain">
        <legend>Find them by</legend>
        <label class="check">
          <input type="radio" name="erase-by" checked={by === 'email'} onChange={() => setBy('email')} /> Email address
        </label>
        <label class="check">
          <input type="radio" name="erase-by" checked={by === 'visitor'} onChange={() => setBy('visitor')} /> Visitor
          (conversation id)
        </label>
      </fieldset>
      <div class="field">
        <label>
          {by === 'email' ? 'Email address' : 'Conversation id or visitor token'}
          <input
            value={who}
            type={by === 'email' ? 'email' : 'text'}
            placeholder={by === 'email' ? 'jo@example.com' : 'conv_…'}
            onInput={(e) => setWho(e.currentTarget.value)}
            {...invalidProps(problem, 'erasure', 'who')}
          />
        </label>
        <FieldError problem={problem} form="erasure" field="who" />
      </div>
      <label class="check">
        <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.currentTarget.checked)} /> I understand
        that this deletes the data for good
      </label>
      {result ? <Alert kind={result.nothing_to_erase ? 'info' : 'success'} message={erasureSummary(result)} /> : null}
      <button class="danger" type="submit" disabled={!confirmed || busy}>
        Erase
      </button>
    </form>
  );
}
