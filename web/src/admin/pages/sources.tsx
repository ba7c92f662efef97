// Knowledge: upload files (drag and drop or a file picker) with per-file progress and outcome, add a website or
// sitemap and follow its crawl live (website.tsx), the sources with their documents' status and errors, and for
// websites their last sync, "Sync now" and schedule; a pasted text as a source, and the curated Q&A pairs
// (curated.tsx). The data-quality report has its own tab (health.tsx).
import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorMessage, type DocumentRow, type JobRow, type SourceRow } from '../api';
import { isActive, latestJobBySource } from '../crawl';
import { formatBytes, formatDate } from '../format';
import { Alert, Empty, Loading } from '../ui';
import { uploadFile } from '../upload';
import { PasteText, QaPairs } from './curated';
import { AddWebsite, CrawlProgress, CrawlSync } from './website';

interface UploadItem {
  key: number;
  name: string;
  size: number;
  progress: number; // 0..1 of the bytes sent
  state: 'uploading' | 'indexing' | 'done' | 'failed';
  message: string;
}

// Every type the server reads (src/ingest/loader.cpp): by extension and by type, so that pickers filter by either.
const ACCEPT = '.md,.markdown,.html,.htm,.txt,.csv,.json,.pdf,.docx,text/markdown,text/html,text/plain,text/csv,application/json,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document';
let uploadKeys = 0;

export function Sources({ botId, canEdit }: { botId: string; canEdit: boolean }) {
  const [sources, setSources] = useState<SourceRow[] | null>(null);
  const [uploads, setUploads] = useState<UploadItem[]>([]);
  const [open, setOpen] = useState<Record<string, DocumentRow[] | 'loading'>>({});
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [jobs, setJobs] = useState<JobRow[]>([]);
  // The crawls followed on this page: those running when it opened and those started here, finished ones included.
  const [watched, setWatched] = useState<JobRow[]>([]);
  const picker = useRef<HTMLInputElement>(null);

  const load = () =>
    Promise.all([api<{ sources: SourceRow[] }>('GET', `/bots/${botId}/sources`), api<{ jobs: JobRow[] }>('GET', `/bots/${botId}/jobs?limit=200`)])
      .then(([body, recent]) => {
        setSources(body.sources);
        setJobs(recent.jobs);
        return recent.jobs;
      })
      .catch((failure) => {
        setError(errorMessage(failure));
        return [] as JobRow[];
      });
  useEffect(() => {
    setWatched([]);
    void load().then((recent) => setWatched(recent.filter((job) => job.kind === 'crawl' && isActive(job))));
  }, [botId]);
  const watch = (job: JobRow) => {
    setWatched((current) => [job, ...current.filter((other) => other.id !== job.id)]);
    void load();
  };
  const latest = latestJobBySource(jobs);
  const sourceName = (id: string | null) => sources?.find((source) => source.id === id)?.name ?? 'Website';

  const update = (key: number, change: Partial<UploadItem>) =>
    setUploads((items) => items.map((item) => (item.key === key ? { ...item, ...change } : item)));

  const upload = async (files: FileList | File[]) => {
    const list = Array.from(files);
    const items = list.map((file) => ({ key: ++uploadKeys, name: file.name, size: file.size, progress: 0, state: 'uploading' as const, message: '' }));
    setUploads((current) => [...items, ...current]);
    // One at a time: the server indexes each upload before it answers.
    for (const [index, file] of list.entries()) {
      const key = items[index].key;
      try {
        const result = await uploadFile(botId, file, (progress) => update(key, { progress, state: progress >= 1 ? 'indexing' : 'uploading' }));
        const failure = result.errors[0];
        const added = result.sources[0];
        if (failure) update(key, { state: 'failed', progress: 1, message: failure.error.message });
        else
          update(key, {
            state: 'done',
            progress: 1,
            message: added?.unchanged ? 'Unchanged since the last upload' : `Indexed: ${added?.chunk_count ?? 0} passages${added?.warnings?.length ? ' · ' + added.warnings.join('; ') : ''}`,
          });
      } catch (failure) {
        update(key, { state: 'failed', progress: 1, message: errorMessage(failure) });
      }
      await load();
    }
  };

  const toggle = async (source: SourceRow) => {
    if (open[source.id]) {
      const { [source.id]: _closed, ...rest } = open;
      setOpen(rest);
      return;
    }
    setOpen({ ...open, [source.id]: 'loading' });
    try {
      const body = await api<{ documents: DocumentRow[] }>('GET', `/bots/${botId}/sources/${source.id}/documents`);
      setOpen((current) => ({ ...current, [source.id]: body.documents }));
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  const remove = async (source: SourceRow) => {
    if (!confirm(`Remove "${source.name}" and everything the bot learned from it?`)) return;
    try {
      await api('DELETE', `/bots/${botId}/sources/${source.id}`);
      await load();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  return (
    <div class="stack">
      <Alert message={error} />
      <section
        class={`card dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          if (e.dataTransfer?.files.length) void upload(e.dataTransfer.files);
        }}
        aria-labelledby="upload-title"
      >
        <h2 id="upload-title">Upload files</h2>
        <p>Drop PDF, Word (.docx), Markdown, HTML or text files, or FAQ files (CSV or JSON with question and answer columns) here, or</p>
        <button type="button" class="primary" onClick={() => picker.current?.click()}>
          Choose files
        </button>
        <input ref={picker} type="file" multiple accept={ACCEPT} class="sr-only" tabIndex={-1} aria-label="Files to upload" onChange={(e) => e.currentTarget.files && void upload(e.currentTarget.files)} />
        {uploads.length > 0 ? (
          <ul class="uploads" aria-label="Uploads">
            {uploads.map((item) => (
              <li key={item.key} class={`upload upload-${item.state}`}>
                <span class="upload-name">
                  {item.name} <span class="muted">({formatBytes(item.size)})</span>
                </span>
                <progress max={1} value={item.state === 'indexing' ? undefined : item.progress} aria-label={`${item.name}: ${item.state}`} />
                <span class="upload-state" role="status">
                  {item.state === 'uploading' ? `Uploading ${Math.round(item.progress * 100)}%` : item.state === 'indexing' ? 'Indexing…' : item.message}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
      </section>

      {canEdit ? <PasteText botId={botId} onAdded={() => void load()} /> : null}
      <AddWebsite botId={botId} onStarted={watch} />
      {watched.length > 0 ? (
        <section class="card" aria-labelledby="crawls-title">
          <h2 id="crawls-title">Website crawls</h2>
          <ul class="crawl-jobs">
            {watched.map((job) => (
              <CrawlProgress key={job.id} botId={botId} job={job} name={sourceName(job.source_id)} onFinished={() => void load()} />
            ))}
          </ul>
        </section>
      ) : null}

      <QaPairs botId={botId} canEdit={canEdit} onChanged={() => void load()} />

      <section class="card">
        <h2>Sources</h2>
        {sources === null ? (
          <Loading />
        ) : sources.length === 0 ? (
          <Empty title="No knowledge yet">
            <p>Upload your help pages, policies or FAQs, or add your website, above; the bot answers only from them.</p>
          </Empty>
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Documents</th>
                <th>Passages</th>
                <th>Updated</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sources.map((source) => (
                <Fragment key={source.id}>
                  <tr>
                    <td data-label="Name">
                      <button type="button" class="link break" aria-expanded={Boolean(open[source.id])} onClick={() => toggle(source)}>
                        {source.name}
                      </button>
                    </td>
                    <td data-label="Status">
                      <span class={`pill pill-${source.status}`}>{source.status}</span>
                      {source.error ? <div class="error small">{source.error}</div> : null}
                      {source.kind === 'crawl' ? (
                        <CrawlSync botId={botId} source={source} latest={latest.get(source.id)} onSync={watch} onChanged={() => void load()} />
                      ) : null}
                    </td>
                    <td data-label="Documents">{source.document_count}</td>
                    <td data-label="Passages">{source.chunk_count}</td>
                    <td data-label="Updated">{formatDate(source.updated_at)}</td>
                    <td>
                      <button type="button" class="danger small" onClick={() => remove(source)} aria-label={`Remove ${source.name}`}>
                        Remove
                      </button>
                    </td>
                  </tr>
                  {open[source.id] ? (
                    <tr class="details">
                      <td colSpan={6}>
                        {open[source.id] === 'loading' ? (
                          <Loading />
                        ) : (
                          <ul class="documents">
                            {(open[source.id] as DocumentRow[]).map((document) => (
                              <li key={document.id}>
                                <span class={`pill pill-${document.status}`}>{document.status}</span> {document.title || document.uri}{' '}
                                <span class="muted small">
                                  {document.uri} · {document.content_type} · {formatBytes(document.byte_size)}
                                </span>
                                {document.error ? <div class="error small">{document.error}</div> : null}
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
