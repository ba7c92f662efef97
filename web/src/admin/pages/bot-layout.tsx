import type { ComponentChildren } from 'preact';
import type { Bot } from '../api';

const TABS = [
  ['settings', 'Builder'],
  ['sources', 'Knowledge'],
  ['health', 'Health check'],
  ['playground', 'Playground'],
  ['tests', 'Tests'],
  ['conversations', 'Conversations'],
  ['leads', 'Leads'],
  ['analytics', 'Analytics'],
] as const;

export function BotLayout({ bot, tab, children }: { bot: Bot; tab: string; children: ComponentChildren }) {
  return (
    <main class="page">
      <p class="crumbs">
        <a href="#/bots">Bots</a> / <span>{bot.name}</span>
      </p>
      <h1>{bot.name}</h1>
      <nav class="tabs" aria-label="Bot sections">
        {TABS.map(([id, label]) => (
          <a key={id} href={`#/bots/${bot.id}/${id}`} aria-current={tab === id ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {children}
    </main>
  );
}
