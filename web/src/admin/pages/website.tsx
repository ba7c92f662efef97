// The Knowledge page's website part: the form that adds a website or sitemap (its first crawl starts at once), a
// crawl's live progress (Server-Sent Events of its job) with cancel and resume, and a crawl source's last sync,
// "Sync now" and resync schedule in the sources table.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, type JobRow, type SourceRow } from '../api';
import { crawlSettings, EMPTY_CRAWL, isActive, jobSummary, placeError, SCHEDULES, scheduleLabel, type CrawlDraft, type CrawlField } from '../crawl';
import { formatDate } from '../format';

export function AddWebsite({ botId, onStarted }: { botId: string; onStarted: (job: JobRow) => void }) {
  const [draft, setDraft] = useState<CrawlDraft>(EMPTY_CRAWL);
  const [error, setError] = useState<{ message: string; field: CrawlField | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (field: CrawlField) => (event: Event) => setDraft({ ...draft, [field]: (event.currentTarget as HTMLInputElement).value });
  // The field the server's error is about points at the message (aria-describedby), and is marked invalid.
  const invalid = (field: CrawlField) =>
    error?.field === field ? { 'aria-invalid': true as const, 'aria-describedby': 'crawl-error' } : {};

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const added = await api<{ source: SourceRow; job: JobRow }>('POST', `/bots/${botId}/sources/crawl`, crawlSettings(draft));
      setDraft(EMPTY_CRAWL);
      onStarted(added.job);
    } catch (failure) {
      setError(placeError(errorMessage(failure)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="website-title">
      <h2 id="website-title">Add a website or sitemap</h2>
      <p class="muted">
        The bot reads the pages of your site, following its links (or the pages your sitemap lists), and learns from them. It keeps them up to date on
        the schedule you choose.
      </p>
      <form onSubmit={submit} noValidate aria-busy={busy}>
        {error ? (
          <div id="crawl-error" class="alert alert-error" role="alert">
            {error.message}
          </div>
        ) : null}
        <div class="row">
          <label class="grow">
            Website address
            <input type="url" inputMode="url" value={draft.url} onInput={set('url')} placeholder="https://www.example.com/" {...invalid('url')} />
          </label>
          <label class="grow">
            <span>
              Sitemap address <span class="muted">(optional)</span>
            </span>
            <input type="url" inputMode="url" value={draft.sitemap} onInput={set('sitemap')} placeholder="https://www.example.com/sitemap.xml" {...invalid('sitemap')} />
          </label>
        </div>
        <div class="row">
          <label>
            Keep it up to date
            <select value={draft.schedule} onChange={set('schedule')} {...invalid('schedule')}>
              {SCHEDULES.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>
              Page limit <span class="muted">(default 1000)</span>
            </span>
            <input type="number" min={1} inputMode="numeric" value={draft.maxPages} onInput={set('maxPages')} placeholder="1000" {...invalid('maxPages')} />
          </label>
        </div>
        <details open={error?.field === 'include' || error?.field === 'exclude'}>
          <summary>Only some parts of the site</summary>
          <p class="muted small">One path per line, for example /help/ for every page under /help/. A * matches anything, a $ ends the path.</p>
          <div class="row">
            <label class="grow">
              Only pages under
              <textarea rows={3} value={draft.include} onInput={set('include')} placeholder="/help/" {...invalid('include')} />
            </label>
            <label class="grow">
              Skip pages under
              <textarea rows={3} value={draft.exclude} onInput={set('exclude')} placeholder="/blog/" {...invalid('exclude')} />
            </label>
          </div>
        </details>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add website'}
        </button>
      </form>
    </section>
  );
}

// A crawl job followed live until it ends; `onFinished` runs once it has.
export function CrawlProgress({ botId, job: initial, name, onFinished }: { botId: string; job: JobRow; name: string; onFinished: () => void }) {
  const [job, setJob] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(0); // bumped to listen again after a resume

  useEffect(() => {
    if (!isActive(initial) && live === 0) return;
    const events = new EventSource(`/api/v1/bots/${botId}/jobs/${initial.id}/events`);
    events.addEventListener('progress', (message) => setJob(JSON.parse((message as MessageEvent).data)));
    events.addEventListener('done', (message) => {
      setJob(JSON.parse((message as MessageEvent).data));
      events.close();
      onFinished();
    });
    // The server's own "error" event carries a message; a lost connection has none, and EventSource reconnects.
    events.addEventListener('error', (message) => {
      const data = (message as MessageEvent).data;
      if (typeof data !== 'string') return;
      setError(JSON.parse(data).message);
      events.close();
    });
    return () => events.close();
  }, [botId, initial.id, live]);

  const control = async (action: 'cancel' | 'resume') => {
    setError(null);
    try {
      setJob(await api<JobRow>('POST', `/bots/${botId}/jobs/${job.id}/${action}`));
      if (action === 'resume') setLive((n) => n + 1);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  const progress = job.progress as { pages_done?: number; pages_found?: number };
  const running = job.state === 'queued' || job.state === 'running';
  return (
    <li class={`crawl-job crawl-${job.state}`}>
      <span class="crawl-name">{name}</span>
      {running ? (
        <progress max={progress.pages_found || 1} value={progress.pages_found ? progress.pages_done ?? 0 : undefined} aria-label={`${name}: crawl progress`} />
      ) : (
        <span class={`pill pill-${job.state === 'succeeded' ? 'ready' : job.state === 'failed' ? 'failed' : 'processing'}`}>{job.state}</span>
      )}
      <span class="crawl-state" role="status" aria-live="polite">
        {jobSummary(job)}
        {error ? <span class="error"> · {error}</span> : null}
      </span>
      {running ? (
        <button type="button" class="danger small" onClick={() => control('cancel')} aria-label={`Cancel the crawl of ${name}`}>
          Cancel
        </button>
      ) : job.state === 'paused' ? (
        <button type="button" class="small" onClick={() => control('resume')} aria-label={`Resume the crawl of ${name}`}>
          Resume
        </button>
      ) : null}
    </li>
  );
}

// A crawl source's line in the sources table: its last sync, the next one, "Sync now" and the schedule.
export function CrawlSync({
  botId,
  source,
  latest,
  onSync,
  onChanged,
}: {
  botId: string;
  source: SourceRow;
  latest: JobRow | undefined;
  onSync: (job: JobRow) => void;
  onChanged: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const schedule = source.crawl?.schedule ?? 'off';
  const options = SCHEDULES.some(([value]) => value === schedule) ? SCHEDULES : [...SCHEDULES, [schedule, scheduleLabel(schedule)]];

  const syncNow = async () => {
    setError(null);
    try {
      onSync((await api<{ job: JobRow }>('POST', `/bots/${botId}/sources/${source.id}/sync`)).job);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  const reschedule = async (value: string) => {
    setError(null);
    try {
      await api('PATCH', `/bots/${botId}/sources/${source.id}`, { schedule: value });
      onChanged();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  return (
    <div class="crawl-sync small">
      <div>
        {latest && isActive(latest) ? (
          latest.state === 'paused' ? (
            'Sync paused'
          ) : (
            'Syncing now…'
          )
        ) : latest ? (
          <>
            Last sync: {jobSummary(latest)} <span class="muted">({formatDate(latest.finished_at ?? latest.created_at)})</span>
          </>
        ) : (
          'Not synced yet'
        )}
      </div>
      {source.next_sync_at ? <div class="muted">Next sync: {formatDate(source.next_sync_at)}</div> : null}
      <div class="crawl-actions">
        <button type="button" class="small" disabled={latest !== undefined && isActive(latest)} onClick={syncNow} aria-label={`Sync ${source.name} now`}>
          Sync now
        </button>
        <label class="check">
          <span class="sr-only">Resync schedule of {source.name}</span>
          <select value={schedule} onChange={(event) => reschedule(event.currentTarget.value)}>
            {options.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error ? (
        <div class="error" role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}
