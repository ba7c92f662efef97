// The team (owners only): the people who sign in, their roles, invitations by a one-time link (emailed when the
// server can send mail, and shown to copy), accounts with a generated password shown once, password resets, and
// the workspace's API keys (the key shown once).
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, type ApiKeyRow, type User } from '../api';
import { FieldError, invalidProps, problemOf, type FieldProblem } from '../fields';
import { formatDate } from '../format';
import { Alert, Loading } from '../ui';
import { ROLE_LABELS } from './account';

const ROLES = ['owner', 'admin', 'agent', 'viewer'] as const;
export const ROLE_HELP: Record<string, string> = {
  owner: 'everything, including the team, API keys and the audit log',
  admin: 'bots, their knowledge and settings, webhooks',
  agent: 'answers visitors in the inbox; sees conversations and leads',
  viewer: 'sees bots, conversations and analytics; changes nothing',
};

// Something to show once (a link, a password, a key), with a copy button.
interface Shown {
  title: string;
  value: string;
  note: string;
}

function ShownOnce({ shown, onDone }: { shown: Shown; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="alert alert-success" role="status" aria-label={shown.title}>
      <p>
        <strong>{shown.title}</strong> {shown.note}
      </p>
      <div class="secret-box">
        <code>{shown.value}</code>
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard.writeText(shown.value).catch(() => undefined);
            setCopied(true);
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" class="ghost" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function RoleSelect({ value, onChange, label, invalid }: { value: string; onChange: (role: string) => void; label?: string; invalid?: Record<string, unknown> }) {
  return (
    <select value={value} onChange={(e) => onChange(e.currentTarget.value)} aria-label={label} {...invalid}>
      {ROLES.map((role) => (
        <option key={role} value={role}>
          {ROLE_LABELS[role]}
        </option>
      ))}
    </select>
  );
}

export function Team({ me }: { me: User | null }) {
  const [users, setUsers] = useState<User[] | null>(null);
  const [keys, setKeys] = useState<ApiKeyRow[] | null>(null);
  const [emailConfigured, setEmailConfigured] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState<Shown | null>(null);

  const load = () =>
    Promise.all([api<{ users: User[]; email_configured: boolean }>('GET', '/users'), api<{ keys: ApiKeyRow[] }>('GET', '/keys')])
      .then(([team, workspaceKeys]) => {
        setUsers(team.users);
        setEmailConfigured(team.email_configured);
        setKeys(workspaceKeys.keys);
      })
      .catch((failure) => setError(errorMessage(failure)));
  useEffect(() => void load(), []);

  const change = async (user: User, body: Record<string, unknown>) => {
    setError(null);
    try {
      await api('PATCH', `/users/${user.id}`, body);
      await load();
    } catch (failure) {
      setError(problemOf(failure).message);
      await load();
    }
  };
  const remove = async (user: User) => {
    if (!confirm(`Remove ${user.email}? They can no longer sign in.`)) return;
    setError(null);
    try {
      await api('DELETE', `/users/${user.id}`);
      await load();
    } catch (failure) {
      setError(problemOf(failure).message);
    }
  };
  const reset = async (user: User, link: boolean) => {
    setError(null);
    try {
      const body = await api<{ link?: string; emailed?: boolean; password?: string }>('POST', `/users/${user.id}/password`, { link });
      if (body.link) {
        setShown({
          title: `A one-time link for ${user.email}.`,
          value: body.link,
          note: body.emailed ? 'It was emailed to them; you can also send it yourself. It works once, for 24 hours.' : 'This server cannot send email: send them the link yourself. It works once, for 24 hours.',
        });
      } else if (body.password) {
        setShown({ title: `New password for ${user.email}.`, value: body.password, note: 'Shown only now: give it to them in person or another safe way.' });
      }
    } catch (failure) {
      setError(problemOf(failure).message);
    }
  };

  return (
    <main class="page">
      <h1>Team</h1>
      <Alert message={error} />
      {shown ? <ShownOnce shown={shown} onDone={() => setShown(null)} /> : null}
      <AddPerson emailConfigured={emailConfigured} onAdded={(next) => (setShown(next), void load())} />
      <section class="card" aria-labelledby="people-title">
        <h2 id="people-title">People</h2>
        {users === null ? (
          error ? null : <Loading />
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Email</th>
                <th>Role</th>
                <th>Status</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <tr key={user.id}>
                  <td data-label="Name">{user.name || <span class="muted">(not set)</span>}</td>
                  <td data-label="Email">{user.email}</td>
                  <td data-label="Role">
                    {user.id === me?.id ? (
                      ROLE_LABELS[user.role]
                    ) : (
                      <RoleSelect value={user.role} label={`Role of ${user.email}`} onChange={(role) => void change(user, { role })} />
                    )}
                  </td>
                  <td data-label="Status">
                    <span class={`pill pill-${user.state}`}>{user.state === 'invited' ? 'Invited' : 'Active'}</span>
                  </td>
                  <td data-label="Actions">
                    {user.id === me?.id ? (
                      <a href="#/account">Your account</a>
                    ) : (
                      <span class="row">
                        <button type="button" class="small" onClick={() => reset(user, true)} aria-label={`Send ${user.email} a password link`}>
                          {user.state === 'invited' ? 'New invitation link' : 'Password reset link'}
                        </button>
                        {user.state === 'active' ? (
                          <button type="button" class="small" onClick={() => reset(user, false)} aria-label={`Generate a new password for ${user.email}`}>
                            New password
                          </button>
                        ) : null}
                        <button type="button" class="small danger" onClick={() => remove(user)} aria-label={`Remove ${user.email}`}>
                          Remove
                        </button>
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h3>What each role may do</h3>
        <ul class="roles small">
          {ROLES.map((role) => (
            <li key={role}>
              <strong>{ROLE_LABELS[role]}</strong>: {ROLE_HELP[role]}.
            </li>
          ))}
        </ul>
      </section>
      <ApiKeys keys={keys} onChanged={load} onCreated={(next) => (setShown(next), void load())} />
    </main>
  );
}

function AddPerson({ emailConfigured, onAdded }: { emailConfigured: boolean; onAdded: (shown: Shown) => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState('agent');
  const [invite, setInvite] = useState(true);
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setBusy(true);
    try {
      const body = await api<{ user: User; link?: string; emailed?: boolean; password?: string }>('POST', '/users', { email, name, role, invite });
      setEmail('');
      setName('');
      onAdded(
        body.link
          ? {
              title: `Invitation for ${body.user.email}.`,
              value: body.link,
              note: body.emailed
                ? 'It was emailed to them; you can also send it yourself. It works once, for 7 days.'
                : 'This server cannot send email ([smtp] in parley.toml): send them the link yourself. It works once, for 7 days.',
            }
          : { title: `Password for ${body.user.email}.`, value: body.password ?? '', note: 'Shown only now: give it to them in person or another safe way.' },
      );
    } catch (failure) {
      setProblem(problemOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="add-person-title" noValidate>
      <h2 id="add-person-title">Add a person</h2>
      {problem && !problem.field ? <Alert message={problem.message} /> : null}
      <div class="row">
        <div class="field grow">
        <label>
          Email
          <input type="email" autocomplete="off" value={email} onInput={(e) => setEmail(e.currentTarget.value)} {...invalidProps(problem, 'person', 'email')} />
        </label>
        <FieldError problem={problem} form="person" field="email" />
        </div>
        <div class="field grow">
        <label>
          Name <span class="muted">(optional)</span>
          <input value={name} maxLength={80} onInput={(e) => setName(e.currentTarget.value)} {...invalidProps(problem, 'person', 'name')} />
        </label>
        <FieldError problem={problem} form="person" field="name" />
        </div>
        <div class="field">
        <label>
          Role
          <RoleSelect value={role} onChange={setRole} invalid={invalidProps(problem, 'person', 'role')} />
        </label>
        <FieldError problem={problem} form="person" field="role" />
        </div>
      </div>
      <fieldset class="plain">
        <legend>How they get in</legend>
        <label class="check">
          <input type="radio" name="invite" checked={invite} onChange={() => setInvite(true)} />
          Send an invitation: they choose their own password with a one-time link{emailConfigured ? ' (emailed to them)' : ' (this server cannot send email: you send them the link)'}
        </label>
        <label class="check">
          <input type="radio" name="invite" checked={!invite} onChange={() => setInvite(false)} />
          Create the account with a generated password, shown to you once
        </label>
      </fieldset>
      <button class="primary" type="submit" disabled={busy}>
        {invite ? 'Invite' : 'Create account'}
      </button>
    </form>
  );
}

function ApiKeys({ keys, onChanged, onCreated }: { keys: ApiKeyRow[] | null; onChanged: () => void; onCreated: (shown: Shown) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState('admin');
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [error, setError] = useState<string | null>(null);
  const create = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    try {
      const body = await api<{ key: ApiKeyRow; secret: string }>('POST', '/keys', { name, role });
      setName('');
      onCreated({ title: `API key "${body.key.name}".`, value: body.secret, note: 'Shown only now: store it where the program that uses it can read it.' });
    } catch (failure) {
      setProblem(problemOf(failure));
    }
  };
  const revoke = async (key: ApiKeyRow) => {
    if (!confirm(`Revoke the key "${key.name}"? Programs using it stop working at once.`)) return;
    setError(null);
    try {
      await api('DELETE', `/keys/${key.id}`);
      onChanged();
    } catch (failure) {
      setError(problemOf(failure).message);
    }
  };
  return (
    <section class="card" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p class="muted small">For programs that use Parley's API (your CRM, a script). A key acts with its role, like a person would.</p>
      <Alert message={error} />
      {keys === null ? null : keys.length === 0 ? (
        <p class="muted">No keys yet.</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Key starts with</th>
              <th>Role</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <td data-label="Name">{key.name}</td>
                <td data-label="Key starts with">
                  <code>{key.prefix}</code>
                </td>
                <td data-label="Role">{ROLE_LABELS[key.role] ?? key.role}</td>
                <td data-label="Created">{formatDate(key.created_at)}</td>
                <td data-label="Last used">{key.last_used_at ? formatDate(key.last_used_at) : 'never'}</td>
                <td data-label="Actions">
                  {key.revoked ? (
                    <span class="muted">Revoked</span>
                  ) : (
                    <button type="button" class="small danger" onClick={() => revoke(key)} aria-label={`Revoke ${key.name}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="inline-form" onSubmit={create} noValidate aria-label="New API key">
        <div class="field">
        <label>
          New key's name
          <input value={name} maxLength={100} placeholder="e.g. CRM sync" onInput={(e) => setName(e.currentTarget.value)} {...invalidProps(problem, 'key', 'name')} />
        </label>
        <FieldError problem={problem} form="key" field="name" />
        </div>
        <label>
          Role
          <RoleSelect value={role} onChange={setRole} invalid={invalidProps(problem, 'key', 'role')} />
        </label>
        <button class="primary" type="submit">
          Create key
        </button>
      </form>
      {problem && !problem.field ? <Alert message={problem.message} /> : null}
    </section>
  );
}
