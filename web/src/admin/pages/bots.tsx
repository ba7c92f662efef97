import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, type Bot } from '../api';
import { formatDate } from '../format';
import { navigate } from '../router';
import { Alert, Empty, Loading } from '../ui';

export function Bots() {
  const [bots, setBots] = useState<Bot[] | null>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api<{ bots: Bot[] }>('GET', '/bots')
      .then((body) => setBots(body.bots))
      .catch((failure) => setError(errorMessage(failure)));
  useEffect(() => void load(), []);

  const create = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const bot = await api<Bot>('POST', '/bots', { name });
      setName('');
      navigate(`/bots/${bot.id}/settings`);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  const remove = async (bot: Bot) => {
    if (!confirm(`Delete "${bot.name}" with all its knowledge and conversations? This cannot be undone.`)) return;
    try {
      await api('DELETE', `/bots/${bot.id}`);
      await load();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  return (
    <main class="page">
      <h1>Bots</h1>
      <Alert message={error} />
      <form class="card inline-form" onSubmit={create}>
        <label>
          New bot name
          <input required maxLength={200} value={name} placeholder="e.g. Support assistant" onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button class="primary" type="submit">
          Create bot
        </button>
      </form>
      {bots === null ? (
        error ? null : <Loading />
      ) : bots.length === 0 ? (
        <Empty title="No bots yet">
          <p>Create your first bot above, then upload your help pages or FAQs to it.</p>
        </Empty>
      ) : (
        <ul class="bot-list">
          {bots.map((bot) => (
            <li key={bot.id} class="card">
              <a class="bot-name" href={`#/bots/${bot.id}/settings`}>
                {bot.name}
              </a>
              <span class="muted small">
                {bot.id} · updated {formatDate(bot.updated_at)}
              </span>
              <span class="actions">
                <a class="button" href={`#/bots/${bot.id}/playground`}>
                  Playground
                </a>
                <button type="button" class="danger" onClick={() => remove(bot)} aria-label={`Delete ${bot.name}`}>
                  Delete
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
