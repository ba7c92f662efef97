// Website crawls as the Knowledge page shows them (docs/INGESTION.md): the add-a-website form turned into the
// settings of POST /bots/{id}/sources/crawl, the server's validation errors placed on their field, and a crawl
// job's progress and result in words.
import type { JobRow } from './api';

export interface CrawlDraft {
  url: string;
  sitemap: string;
  maxPages: string;
  include: string; // one pattern per line
  exclude: string;
  schedule: string;
}

export type CrawlField = keyof CrawlDraft;

export const EMPTY_CRAWL: CrawlDraft = { url: '', sitemap: '', maxPages: '', include: '', exclude: '', schedule: 'weekly' };

// The schedules offered (the server also takes "30m", "6h", "2d", which a source set through the API keeps).
export const SCHEDULES: [string, string][] = [
  ['off', 'Only when I press "Sync now"'],
  ['hourly', 'Every hour'],
  ['daily', 'Every day'],
  ['weekly', 'Every week'],
];

export function scheduleLabel(schedule: string): string {
  return SCHEDULES.find(([value]) => value === schedule)?.[1] ?? `Every ${schedule}`;
}

// "www.shop.com/help" is what people type: a bare host name gets https://. Anything else goes to the server as
// typed, so that its error explains what is wrong.
export function completeUrl(text: string): string {
  const trimmed = text.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return trimmed;
  return /^[^\s/:?#]+\.[^\s/:?#]+(:\d+)?([/?#]\S*)?$/.test(trimmed) ? 'https://' + trimmed : trimmed;
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

// The JSON the server reads; empty fields are left out so that its defaults apply. A page limit that is not a whole
// number is sent as typed: the server's answer says what it must be.
export function crawlSettings(draft: CrawlDraft): Record<string, unknown> {
  const settings: Record<string, unknown> = { schedule: draft.schedule };
  const url = completeUrl(draft.url);
  const sitemap = completeUrl(draft.sitemap);
  if (url) settings.url = url;
  if (sitemap) settings.sitemap = sitemap;
  const maxPages = draft.maxPages.trim();
  if (maxPages) settings.max_pages = /^\d+$/.test(maxPages) ? Number(maxPages) : maxPages;
  const include = lines(draft.include);
  const exclude = lines(draft.exclude);
  if (include.length) settings.include = include;
  if (exclude.length) settings.exclude = exclude;
  return settings;
}

// The server names the setting an error is about first ("url: not an absolute URL", "max_pages must be ..."): the
// error goes on that field, with the field's label in place of the setting's name.
const SERVER_KEYS: [string, CrawlField, string][] = [
  ['url', 'url', 'Website address'],
  ['sitemap', 'sitemap', 'Sitemap address'],
  ['max_pages', 'maxPages', 'Page limit'],
  ['include', 'include', 'Only pages under'],
  ['exclude', 'exclude', 'Skip pages under'],
  ['schedule', 'schedule', 'Keep it up to date'],
];

export function placeError(message: string): { field: CrawlField | null; message: string } {
  if (/start URL, a sitemap URL, or both/.test(message)) return { field: 'url', message };
  if (/^the sitemap must be/.test(message)) return { field: 'sitemap', message };
  if (/^a schedule is between/.test(message)) return { field: 'schedule', message };
  for (const [name, field, label] of SERVER_KEYS) {
    if (message.startsWith(name + ':') || message.startsWith(name + ' ')) return { field, message: label + message.slice(name.length) };
    if (new RegExp(`^at most \\d+ ${name} `).test(message)) return { field, message };
  }
  return { field: null, message };
}

interface CrawlProgress {
  phase?: string;
  pages_done?: number;
  pages_found?: number;
  errors?: number;
}

interface CrawlResult {
  added?: number;
  updated?: number;
  unchanged?: number;
  removed?: number;
  failed?: number;
  truncated?: boolean;
}

function plural(count: number, one: string, many = one + 's'): string {
  return `${count} ${count === 1 ? one : many}`;
}

// What a crawl job is doing, or what it did.
export function jobSummary(job: JobRow): string {
  const progress = (job.progress ?? {}) as CrawlProgress;
  const result = (job.result ?? {}) as CrawlResult;
  const done = progress.pages_done ?? 0;
  const failed = progress.errors ?? 0;
  const found = progress.pages_found ?? 0;
  switch (job.state) {
    case 'queued':
      return 'Waiting to start…';
    case 'running':
      if (progress.phase === 'starting' || progress.phase === 'seeding' || !progress.phase) return 'Reading the site map and robots.txt…';
      return `${progress.phase === 'finishing' ? 'Finishing' : 'Crawling'}: ${plural(done, 'page')} done, ${failed} failed, ${found} found`;
    case 'paused':
      return `Paused after ${plural(done, 'page')}`;
    case 'cancelled':
      return `Cancelled after ${plural(done, 'page')}; what was indexed stays`;
    case 'failed':
      return `Failed: ${job.error ?? 'unknown error'}`;
    case 'succeeded': {
      const parts = [`${result.added ?? 0} added`, `${result.updated ?? 0} updated`, `${result.unchanged ?? 0} unchanged`, `${result.removed ?? 0} removed`, `${result.failed ?? 0} failed`];
      return `Done: ${parts.join(', ')}${result.truncated ? ' (stopped at the page limit)' : ''}`;
    }
  }
}

export function isActive(job: JobRow): boolean {
  return job.state === 'queued' || job.state === 'running' || job.state === 'paused';
}

// The newest job of each source, from a list of jobs newest first.
export function latestJobBySource(jobs: JobRow[]): Map<string, JobRow> {
  const latest = new Map<string, JobRow>();
  for (const job of jobs) if (job.source_id && !latest.has(job.source_id)) latest.set(job.source_id, job);
  return latest;
}
