// Knowledge health: the data-quality report of the bot's knowledge (report.ts) for a business owner. A summary table
// (problems per kind, overall state), then one section per kind with each finding in plain words, the documents it
// concerns and what to do (said once when it is the same for all of a section); ten findings at a time per section.
// Uploaded files can be removed from here.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, type SourceRow } from '../api';
import { formatDate } from '../format';
import { filteredBoilerplate, healthSections, overallState, semanticNotice, SEVERITY_LABEL, sharedAdvice, type Finding, type FindingDocument, type HealthSection, type KnowledgeReport, type SourceInfo } from '../report';
import { Alert, Empty, Loading } from '../ui';

const PAGE = 10;

interface Loaded {
  report: KnowledgeReport;
  sources: Map<string, SourceInfo>;
}

export function KnowledgeHealth({ botId }: { botId: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  const load = async () => {
    setChecking(true);
    try {
      const [report, body] = await Promise.all([api<KnowledgeReport>('GET', `/bots/${botId}/report`), api<{ sources: SourceRow[] }>('GET', `/bots/${botId}/sources`)]);
      setLoaded({ report, sources: new Map(body.sources.map((source) => [source.id, source])) });
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setChecking(false);
    }
  };
  useEffect(() => {
    setLoaded(null);
    setNotice(null);
    void load();
  }, [botId]);
  // While passages are being prepared for search by meaning, the progress updates by itself.
  const preparing = loaded?.report.semantic?.status === 'embedding';
  useEffect(() => {
    if (!preparing) return;
    const timer = setTimeout(() => void load(), 3000);
    return () => clearTimeout(timer);
  }, [preparing, loaded]);

  const remove = async (document: FindingDocument) => {
    if (!document.sourceId || !confirm(`Remove "${document.sourceName || document.label}" and everything the bot learned from it?`)) return;
    try {
      await api('DELETE', `/bots/${botId}/sources/${document.sourceId}`);
      setNotice(`Removed ${document.sourceName || document.label}.`);
      await load();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  if (!loaded) return error ? <Alert message={error} /> : <Loading label="Checking your knowledge…" />;
  const { report } = loaded;
  const sections = healthSections(report, loaded.sources);
  const state = overallState(report, sections);
  const found = sections.filter((section) => section.total > 0);
  const filtered = filteredBoilerplate(report);
  const semantic = semanticNotice(report);

  return (
    <div class="stack">
      <Alert message={error} />
      <Alert message={notice} kind="success" />
      <section class="card" aria-labelledby="health-title">
        <div class="row health-head">
          <h2 id="health-title">Knowledge health</h2>
          <button type="button" onClick={() => void load()} disabled={checking}>
            {checking ? 'Checking…' : 'Check again'}
          </button>
        </div>
        <p class="muted small">
          Checked {formatDate(report.generated_at)}: {report.summary.documents} documents from {report.summary.sources} sources.
        </p>
        {semantic ? <Alert message={semantic.text} kind={semantic.kind} /> : null}
        {state.state === 'empty' ? (
          <Empty title={state.headline}>
            <p>
              Add files or your website on the <a href={`#/bots/${botId}/sources`}>Knowledge</a> tab; this page then shows what could make the bot's answers worse.
            </p>
          </Empty>
        ) : state.state === 'healthy' ? (
          <Empty title={state.headline}>
            <p>No duplicates, empty or unreadable documents, conflicting answers or suspicious instructions were found. Nothing to fix.</p>
          </Empty>
        ) : (
          <>
            <p class={`health-state health-${state.state}`} role="status">
              {state.headline}
            </p>
            <table class="table health-summary">
              <caption class="sr-only">Problems found, by kind</caption>
              <thead>
                <tr>
                  <th scope="col">Kind of problem</th>
                  <th scope="col">How urgent</th>
                  <th scope="col">Found</th>
                </tr>
              </thead>
              <tbody>
                {found.map((section) => (
                  <tr key={section.id}>
                    <th scope="row">
                      <a href={`#/bots/${botId}/health`} onClick={(event) => jumpTo(event, section.id)}>
                        {section.title}
                      </a>
                    </th>
                    <td data-label="How urgent">
                      <span class={`pill pill-${section.severity}`}>{SEVERITY_LABEL[section.severity]}</span>
                    </td>
                    <td data-label="Found">{section.total}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
        {filtered > 0 ? (
          <p class="muted small">
            The crawler already leaves out {filtered} repeated {filtered === 1 ? 'paragraph' : 'paragraphs'} (menus, footers) it found on many pages.
          </p>
        ) : null}
      </section>
      {found.map((section) => (
        <HealthSectionCard key={section.id} section={section} onRemove={remove} />
      ))}
    </div>
  );
}

// The summary's links move focus to their section without changing the route.
function jumpTo(event: Event, id: string) {
  event.preventDefault();
  const target = document.getElementById(`health-${id}`);
  target?.scrollIntoView();
  target?.focus();
}

function HealthSectionCard({ section, onRemove }: { section: HealthSection; onRemove: (document: FindingDocument) => void }) {
  const [shown, setShown] = useState(PAGE);
  const visible = section.findings.slice(0, shown);
  const more = section.findings.length - visible.length;
  const advice = sharedAdvice(section);
  return (
    <section class="card health-section" aria-labelledby={`health-${section.id}`}>
      <h2 id={`health-${section.id}`} tabIndex={-1}>
        {section.title} <span class={`pill pill-${section.severity}`}>{SEVERITY_LABEL[section.severity]}</span>
      </h2>
      <p>{section.explanation}</p>
      {advice ? (
        <p class="finding-advice">
          <strong>What to do:</strong> {advice}
        </p>
      ) : null}
      <ul class="findings" aria-label={section.title}>
        {visible.map((finding) => (
          <FindingItem key={finding.key} finding={finding} showAdvice={!advice} onRemove={onRemove} />
        ))}
      </ul>
      <p class="muted small" role="status">
        Showing {visible.length} of {section.total}.
        {section.total > section.findings.length ? ` The report lists the first ${section.findings.length}; fix these and check again to see the rest.` : ''}
      </p>
      {more > 0 ? (
        <button type="button" onClick={() => setShown(shown + PAGE)}>
          Show {Math.min(PAGE, more)} more
        </button>
      ) : null}
    </section>
  );
}

function FindingItem({ finding, showAdvice, onRemove }: { finding: Finding; showAdvice: boolean; onRemove: (document: FindingDocument) => void }) {
  return (
    <li class="finding">
      <p class="finding-summary">{finding.summary}</p>
      {finding.documents.length > 0 ? (
        <ul class="finding-documents" aria-label="Documents">
          {finding.documents.map((document, index) => (
            <li key={index}>
              {document.href ? (
                <a href={document.href} target="_blank" rel="noopener noreferrer">
                  {document.label}
                </a>
              ) : (
                <span>{document.label}</span>
              )}
              {document.detail ? <span class="muted small"> · {document.detail}</span> : null}
              {document.sourceName && document.sourceName !== document.label && document.sourceName !== document.detail ? (
                <span class="muted small"> · from {document.sourceName}</span>
              ) : null}
              {document.removable ? (
                <button type="button" class="danger small" onClick={() => onRemove(document)} aria-label={`Remove ${document.sourceName || document.label}`}>
                  Remove
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {finding.snippet ? (
        <figure class="finding-snippet">
          <figcaption class="muted small">{finding.snippetLabel}</figcaption>
          <blockquote>{finding.snippet}</blockquote>
        </figure>
      ) : null}
      {showAdvice ? (
        <p class="finding-advice">
          <strong>What to do:</strong> {finding.advice}
        </p>
      ) : null}
    </li>
  );
}
