// Small building blocks shared by the screens.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { renderMarkdown } from '../shared/markdown';

export function Alert({ message, kind = 'error' }: { message: string | null; kind?: 'error' | 'success' | 'info' }) {
  if (!message) return null;
  return (
    <div class={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {message}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="loading" role="status">
      {label}
    </p>
  );
}

// A bot answer: markdown rendered and sanitised exactly as the widget does it.
export function Markdown({ text }: { text: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.replaceChildren(renderMarkdown(text));
  }, [text]);
  return <div class="markdown" ref={ref} />;
}

export function SourceChips({ sources }: { sources: { title: string; url: string; snippet?: string }[] }) {
  if (sources.length === 0) return null;
  return (
    <ul class="chips" aria-label="Sources">
      {sources.map((source, index) => (
        <li key={index} title={source.snippet ?? source.url}>
          {/^https?:\/\//.test(source.url) ? (
            <a href={source.url} target="_blank" rel="noopener noreferrer">
              {source.title || source.url}
            </a>
          ) : (
            <span>{source.title || source.url}</span>
          )}
          {source.title && source.url && !/^https?:/.test(source.url) ? <span class="muted"> · {source.url}</span> : null}
        </li>
      ))}
    </ul>
  );
}
