// The admin app: sign-in gate, then the bots and each bot's screens, chosen by the URL's hash.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, setUnauthorizedHandler, type Bot, type User } from './api';
import { AnalyticsPage } from './pages/analytics';
import { BotLayout } from './pages/bot-layout';
import { Bots } from './pages/bots';
import { Conversations } from './pages/conversations';
import { KnowledgeHealth } from './pages/health';
import { Inbox } from './pages/inbox';
import { Leads } from './pages/leads';
import { Login } from './pages/login';
import { Playground } from './pages/playground';
import { Settings } from './pages/settings';
import { Sources } from './pages/sources';
import { Webhooks } from './pages/webhooks';
import { navigate, useRoute } from './router';
import { Alert, Loading } from './ui';

type Session = { state: 'checking' } | { state: 'signed-out' } | { state: 'signed-in'; user: User | null };

export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const route = useRoute();
  useEffect(() => {
    setUnauthorizedHandler(() => setSession({ state: 'signed-out' }));
    api<{ user?: User }>('GET', '/auth/me')
      .then((me) => setSession({ state: 'signed-in', user: me.user ?? null }))
      .catch(() => setSession({ state: 'signed-out' }));
  }, []);

  if (session.state === 'checking') return <Loading />;
  if (session.state === 'signed-out') {
    return (
      <Login
        onSignedIn={(user) => {
          setSession({ state: 'signed-in', user });
          if (!route.path.length) navigate('/bots');
        }}
      />
    );
  }
  const signOut = async () => {
    await api('POST', '/auth/logout').catch(() => undefined);
    setSession({ state: 'signed-out' });
  };
  const [section, botId, tab, item] = route.path;
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
          <a href="#/bots" aria-current={section === 'bots' || !section ? 'page' : undefined}>
            Bots
          </a>
          <a href="#/inbox" aria-current={section === 'inbox' ? 'page' : undefined}>
            Inbox
          </a>
          <a href="#/webhooks" aria-current={section === 'webhooks' ? 'page' : undefined}>
            Webhooks
          </a>
        </nav>
        <span class="grow" />
        {session.user ? <span class="muted small">{session.user.email}</span> : null}
        <button type="button" class="ghost" onClick={signOut}>
          Sign out
        </button>
      </header>
      <div id="main">
        {section === 'inbox' ? (
          <Inbox botId={botId} conversationId={tab} />
        ) : section === 'webhooks' ? (
          <Webhooks webhookId={botId} />
        ) : section === 'bots' && botId ? (
          <BotScreen botId={botId} tab={tab ?? 'settings'} item={item} />
        ) : (
          <Bots />
        )}
      </div>
    </>
  );
}

function BotScreen({ botId, tab, item }: { botId: string; tab: string; item?: string }) {
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
        <Sources botId={bot.id} />
      ) : tab === 'health' ? (
        <KnowledgeHealth botId={bot.id} />
      ) : tab === 'playground' ? (
        <Playground botId={bot.id} />
      ) : tab === 'conversations' ? (
        <Conversations botId={bot.id} conversationId={item} />
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
