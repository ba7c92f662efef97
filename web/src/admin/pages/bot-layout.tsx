import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Bot } from '../api';

const TABS = [
  ['settings', 'Builder'],
  ['sources', 'Knowledge'],
  ['health', 'Health check'],
  ['playground', 'Playground'],
  ['tests', 'Tests'],
  ['suggestions', 'Suggestions'],
  ['conversations', 'Conversations'],
  ['leads', 'Leads'],
  ['analytics', 'Analytics'],
] as const;

export function BotLayout({ bot, tab, children }: { bot: Bot; tab: string; children: ComponentChildren }) {
  // On a phone the tabs scroll sideways: bring the current one into view (the nav scrolls, not the page).
  const tabs = useRef<HTMLElement>(null);
  useEffect(() => {
    const nav = tabs.current;
    const current = nav?.querySelector<HTMLElement>('[aria-current=page]');
    if (!nav || !current) return;
    const left = current.offsetLeft - nav.offsetLeft;
    if (left < nav.scrollLeft || left + current.offsetWidth > nav.scrollLeft + nav.clientWidth) nav.scrollLeft = left - (nav.clientWidth - current.offsetWidth) / 2;
  }, [tab]);
  return (
    <main class="page">
      <p class="crumbs">
        <a href="#/bots">Bots</a> / <span>{bot.name}</span>
      </p>
      <h1>{bot.name}</h1>
      <nav class="tabs" aria-label="Bot sections" ref={tabs}>
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
