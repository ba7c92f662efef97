// The signed-in person's own account: the name visitors and the team see, and a password change. And the page a
// one-time link opens (an invitation or a password reset): choose a password (and, invited, a name), then in.
import { useEffect, useState } from 'preact/hooks';
import { api, type User } from '../api';
import { FieldError, invalidProps, problemOf, type FieldProblem } from '../fields';
import { Alert, Loading } from '../ui';

export const ROLE_LABELS: Record<string, string> = { owner: 'Owner', admin: 'Admin', agent: 'Agent', viewer: 'Viewer' };

export function Account({ user, onChanged }: { user: User; onChanged: (user: User) => void }) {
  const [name, setName] = useState(user.name);
  const [nameProblem, setNameProblem] = useState<FieldProblem | null>(null);
  const [nameSaved, setNameSaved] = useState(false);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [passwordProblem, setPasswordProblem] = useState<FieldProblem | null>(null);
  const [passwordChanged, setPasswordChanged] = useState(false);

  const saveName = async (event: Event) => {
    event.preventDefault();
    setNameProblem(null);
    setNameSaved(false);
    try {
      const body = await api<{ user: User }>('PATCH', '/auth/me', { name });
      onChanged(body.user);
      setNameSaved(true);
    } catch (failure) {
      setNameProblem({ ...problemOf(failure), field: 'name' });
    }
  };
  const changePassword = async (event: Event) => {
    event.preventDefault();
    setPasswordProblem(null);
    setPasswordChanged(false);
    if (next !== again) {
      setPasswordProblem({ field: 'again', message: 'The two new passwords are not the same.' });
      return;
    }
    try {
      await api('POST', '/auth/password', { current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      setAgain('');
      setPasswordChanged(true);
    } catch (failure) {
      const found = problemOf(failure);
      setPasswordProblem(found.field ? found : { ...found, field: 'new_password' });
    }
  };

  return (
    <main class="page">
      <h1>Your account</h1>
      <form class="card" onSubmit={saveName} aria-labelledby="profile-title" noValidate>
        <h2 id="profile-title">Profile</h2>
        <p class="muted small">
          {user.email} · {ROLE_LABELS[user.role] ?? user.role}
        </p>
        <div class="field">
        <label>
          Your name <span class="muted">(visitors see it when you answer them in the inbox)</span>
          <input value={name} maxLength={80} autocomplete="name" onInput={(e) => (setName(e.currentTarget.value), setNameSaved(false))} {...invalidProps(nameProblem, 'profile', 'name')} />
        </label>
        <FieldError problem={nameProblem} form="profile" field="name" />
        </div>
        {nameSaved ? <Alert kind="success" message="Saved." /> : null}
        <button class="primary" type="submit">
          Save
        </button>
      </form>
      <form class="card" onSubmit={changePassword} aria-labelledby="password-title" noValidate>
        <h2 id="password-title">Change your password</h2>
        <div class="field">
        <label>
          Current password
          <input type="password" autocomplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} {...invalidProps(passwordProblem, 'password', 'current_password')} />
        </label>
        <FieldError problem={passwordProblem} form="password" field="current_password" />
        </div>
        <div class="field">
        <label>
          New password <span class="muted">(at least 10 characters)</span>
          <input type="password" autocomplete="new-password" value={next} onInput={(e) => setNext(e.currentTarget.value)} {...invalidProps(passwordProblem, 'password', 'new_password')} />
        </label>
        <FieldError problem={passwordProblem} form="password" field="new_password" />
        </div>
        <div class="field">
        <label>
          New password again
          <input type="password" autocomplete="new-password" value={again} onInput={(e) => setAgain(e.currentTarget.value)} {...invalidProps(passwordProblem, 'password', 'again')} />
        </label>
        <FieldError problem={passwordProblem} form="password" field="again" />
        </div>
        {passwordChanged ? <Alert kind="success" message="Your password is changed. Everywhere else you were signed in, you are signed out." /> : null}
        <button class="primary" type="submit">
          Change password
        </button>
      </form>
    </main>
  );
}

interface LinkInfo {
  email: string;
  name: string;
  purpose: 'invite' | 'reset';
}

export function AccountLink({ token, onSignedIn }: { token: string; onSignedIn: (user: User) => void }) {
  const [info, setInfo] = useState<LinkInfo | null>(null);
  const [dead, setDead] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<LinkInfo>('POST', '/auth/link', { token })
      .then((body) => {
        setInfo(body);
        setName(body.name);
      })
      .catch((failure) => setDead(problemOf(failure).message));
  }, [token]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    if (password !== again) {
      setProblem({ field: 'again', message: 'The two passwords are not the same.' });
      return;
    }
    setBusy(true);
    try {
      const body = await api<{ user: User }>('POST', '/auth/link/redeem', { token, password, name: info?.purpose === 'invite' ? name : '' });
      onSignedIn(body.user);
    } catch (failure) {
      const found = problemOf(failure);
      setProblem(found.field ? found : { ...found, field: null });
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card" onSubmit={submit} aria-labelledby="link-title" noValidate>
        <h1 id="link-title">{info?.purpose === 'reset' ? 'Choose a new password' : 'Welcome to Parley'}</h1>
        {dead ? (
          <>
            <Alert message={dead} />
            <a href="#/bots">Go to the sign-in page</a>
          </>
        ) : !info ? (
          <Loading />
        ) : (
          <>
            <p>
              {info.purpose === 'invite' ? 'You were invited as ' : 'For '}
              <strong>{info.email}</strong>.{info.purpose === 'invite' ? ' Choose your password to sign in.' : ''}
            </p>
            {problem && !problem.field ? <Alert message={problem.message} /> : null}
            {info.purpose === 'invite' ? (
              <div class="field">
              <label>
                Your name <span class="muted">(visitors see it when you answer them)</span>
                <input value={name} maxLength={80} autocomplete="name" onInput={(e) => setName(e.currentTarget.value)} {...invalidProps(problem, 'link', 'name')} />
              </label>
              <FieldError problem={problem} form="link" field="name" />
              </div>
            ) : null}
            <div class="field">
            <label>
              Password <span class="muted">(at least 10 characters)</span>
              <input type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} {...invalidProps(problem, 'link', 'password')} />
            </label>
            <FieldError problem={problem} form="link" field="password" />
            </div>
            <div class="field">
            <label>
              Password again
              <input type="password" autocomplete="new-password" value={again} onInput={(e) => setAgain(e.currentTarget.value)} {...invalidProps(problem, 'link', 'again')} />
            </label>
            <FieldError problem={problem} form="link" field="again" />
            </div>
            <button class="primary" type="submit" disabled={busy}>
              {busy ? 'Signing in…' : 'Save and sign in'}
            </button>
          </>
        )}
      </form>
    </main>
  );
}
