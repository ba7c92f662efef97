// The admin app: sign-in gate (and the one-time links that let a person choose a password), then the bots and each
// bot's screens, the inbox, webhooks, the team and the person's own account, chosen by the URL's hash.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, setUnauthorizedHandler, type Bot, type User } from './api';
import { playChime, showNotification, soundOn } from './alerts';
import { inboxFeed } from './inbox-feed';
import { lazyPage } from './lazy';
import { BotLayout } from './pages/bot-layout';
import { Bots } from './pages/bots';
import { Login } from './pages/login';
import { navigate, useRoute } from './router';
import { Alert, Loading } from './ui';

const Account = lazyPage(() => import('./pages/account').then((page) => page.Account));
const AccountLink = lazyPage(() => import('./pages/account').then((page) => page.AccountLink));
const AnalyticsPage = lazyPage(() => import('./pages/analytics').then((page) => page.AnalyticsPage));
const DataPage = lazyPage(() => import('./pages/data').then((page) => page.DataPage));
const Conversations = lazyPage(() => import('./pages/conversations').then((page) => page.Conversations));
const Inbox = lazyPage(() => import('./pages/inbox').then((page) => page.Inbox));
const KnowledgeHealth = lazyPage(() => import('./pages/health').then((page) => page.KnowledgeHealth));
const Leads = lazyPage(() => import('./pages/leads').then((page) => page.Leads));
const Playground = lazyPage(() => import('./pages/playground').then((page) => page.Playground));
const Settings = lazyPage(() => import('./pages/settings').then((page) => page.Settings));
const Sources = lazyPage(() => import('./pages/sources').then((page) => page.Sources));
const Tests = lazyPage(() => import('./pages/tests').then((page) => page.Tests));
const Suggestions = lazyPage(() => import('./pages/suggestions').then((page) => page.Suggestions));
const Team = lazyPage(() => import('./pages/team').then((page) => page.Team));
const Webhooks = lazyPage(() => import('./pages/webhooks').then((page) => page.Webhooks));

interface Me {
  role: string;
  user?: User;
}
type Session = { state: 'checking' } | { state: 'signed-out' } | { state: 'signed-in'; me: Me };

// For everyone who answers visitors (not viewers): the number of visitors waiting, in the top bar and the tab's
// title, and a chime and a desktop notification for each new one.
function useWaitingVisitors(active: boolean): number {
  const [waiting, setWaiting] = useState(0);
  useEffect(() => {
    if (!active) return;
    inboxFeed.start();
    const unsubscribe = inboxFeed.subscribe((event, data) => {
      setWaiting(inboxFeed.waiting());
      if (event !== 'handoff_requested' || !data.conversation) return;
      if (soundOn()) playChime();
      const row = data.conversation;
      showNotification('A visitor is waiting for a person', row.first_question || 'New conversation', `#/inbox/${row.bot_id}/${row.id}`);
    });
    return () => {
      unsubscribe();
      inboxFeed.stop();
    };
  }, [active]);
  useEffect(() => {
    document.title = waiting ? `(${waiting}) Parley` : 'Parley';
  }, [waiting]);
  return waiting;
}

export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const route = useRoute();
  const [section, botId, tab, item] = route.path;
  const signedIn = session.state === 'signed-in' ? session.me : null;
  // Owners and admins change bots' tests and webhooks; agents and viewers see what they are allowed to.
  const manages = signedIn?.role === 'owner' || signedIn?.role === 'admin';
  const waiting = useWaitingVisitors(signedIn !== null && signedIn.role !== 'viewer');
  useEffect(() => {
    setUnauthorizedHandler(() => setSession({ state: 'signed-out' }));
    api<Me & { signed_in: boolean }>('GET', '/auth/session')
      .then((me) => setSession(me.signed_in ? { state: 'signed-in', me } : { state: 'signed-out' }))
      .catch(() => setSession({ state: 'signed-out' }));
  }, []);

  const signedInAs = (user: User) => setSession({ state: 'signed-in', me: { role: user.role, user } });
  // A one-time link (an invitation, a password reset) works signed in or not.
  if (section === 'account' && botId === 'link' && tab) {
    return (
      <AccountLink
        token={tab}
        onSignedIn={(user) => {
          signedInAs(user);
          navigate('/bots');
        }}
      />
    );
  }
  if (session.state === 'checking') return <Loading />;
  if (session.state === 'signed-out') {
    return (
      <Login
        onSignedIn={(user) => {
          signedInAs(user);
          if (!route.path.length) navigate('/bots');
        }}
      />
    );
  }
  const me = session.me;
  const user = me.user ?? null;
  const signOut = async () => {
    await api('POST', '/auth/logout').catch(() => undefined);
    setSession({ state: 'signed-out' });
  };
  const link = (path: string, label: string, current: boolean, extra?: ComponentChildren) => (
    <a href={`#/${path}`} aria-current={current ? 'page' : undefined}>
      {label}
      {extra}
    </a>
  );
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="#/bots">
          Parley
        </a>
        <nav class="topnav" aria-label="Sections">
          {link('bots', 'Bots', section === 'bots' || !section)}
          {me.role !== 'viewer'
            ? link(
                'inbox',
                'Inbox',
                section === 'inbox',
                waiting ? (
                  <span class="count" aria-label={`${waiting} waiting`}>
                    {waiting}
                  </span>
                ) : null,
              )
            : null}
          {manages ? link('webhooks', 'Webhooks', section === 'webhooks') : null}
          {manages ? link('data', 'Data', section === 'data') : null}
          {me.role === 'owner' ? link('team', 'Team', section === 'team') : null}
          {user ? link('account', 'Account', section === 'account') : null}
        </nav>
        <span class="grow" />
        {user ? (
          <span class="muted small who-am-i" title={user.email}>
            {user.name || user.email}
          </span>
        ) : null}
        <button type="button" class="ghost" onClick={signOut}>
          Sign out
        </button>
      </header>
      <div id="main">
        {section === 'inbox' ? (
          <Inbox botId={botId} conversationId={tab} user={user} />
        ) : section === 'webhooks' ? (
          <Webhooks webhookId={botId} />
        ) : section === 'data' && manages ? (
          <DataPage />
        ) : section === 'team' ? (
          <Team me={user} />
        ) : section === 'account' && user ? (
          <Account user={user} onChanged={signedInAs} />
        ) : section === 'bots' && botId ? (
          <BotScreen botId={botId} tab={tab ?? 'settings'} item={item} manages={manages} />
        ) : (
          <Bots />
        )}
      </div>
    </>
  );
}

function BotScreen({ botId, tab, item, manages }: { botId: string; tab: string; item?: string; manages: boolean }) {
  const [bot, setBot] = useState<Bot | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setBot(null);
    setError(null);
    api<Bot>('GET', `/bots/${botId}`)
      .then(setBot)
      .catch((failure) => setError(errorMessage(failure)));
  }, [botId]);
  if (error)
    return (
      <main class="page">
        <Alert message={error} />
        <a href="#/bots">Back to the bots</a>
      </main>
    );
  if (!bot) return <Loading />;
  return (
    <BotLayout bot={bot} tab={tab}>
      {tab === 'sources' ? (
        <Sources botId={bot.id} canEdit={manages} />
      ) : tab === 'health' ? (
        <KnowledgeHealth botId={bot.id} />
      ) : tab === 'playground' ? (
        <Playground botId={bot.id} canEdit={manages} />
      ) : tab === 'tests' ? (
        <Tests botId={bot.id} canEdit={manages} />
      ) : tab === 'suggestions' ? (
        <Suggestions botId={bot.id} canEdit={manages} />
      ) : tab === 'conversations' ? (
        <Conversations botId={bot.id} conversationId={item} canExport={manages} canEdit={manages} />
      ) : tab === 'leads' ? (
        <Leads botId={bot.id} />
      ) : tab === 'analytics' ? (
        <AnalyticsPage botId={bot.id} />
      ) : (
        <Settings bot={bot} onSaved={setBot} />
      )}
    </BotLayout>
  );
}
