// The knowledge data-quality report (GET /bots/{id}/report, src/ingest/report.cpp) turned into what a business owner
// reads on the Knowledge health tab: one section per kind of problem, each finding in plain words with the document it
// concerns and what to do about it.

// A document as the report names it (ingest::document_ref).
export interface ReportDocument {
  document_id: string;
  uri: string;
  title: string;
  source_id: string;
}

export interface KnowledgeReport {
  bot_id: string;
  generated_at: string;
  language: string;
  summary: {
    sources: number;
    documents: number;
    chunks: number;
    exact_duplicate_groups: number;
    near_duplicate_pairs: number;
    boilerplate_passages: number;
    empty_or_thin: number;
    failed: number;
    other_language: number;
    contradictions: number;
    stale: number;
    suspected_injections: number;
    embedded_chunks?: number;
    repetitive?: number;
  };
  // Hybrid retrieval (src/semantic/status.h): how many passages have vectors of the embedding model.
  semantic?: SemanticReport;
  languages: Record<string, number>;
  exact_duplicates: { documents: ReportDocument[] }[];
  near_duplicates: { a: ReportDocument; b: ReportDocument; similarity: number }[];
  // `indexed: false`: a paragraph the crawler found on many pages and already keeps out of the index; indexed
  // passages name up to five of their `documents`.
  boilerplate: { source_id?: string; text: string; pages: number; indexed: boolean; documents?: ReportDocument[] }[];
  empty_or_thin: (ReportDocument & { words: number; problem: 'empty' | 'thin' })[];
  // Documents that say little at great length: one passage repeated, a handful of words (ingest/report.cpp).
  repetitive?: (ReportDocument & { problem: string; words: number; distinct_words: number; passages: number; repeated_passages: number })[];
  failed: { source_id: string; uri: string; reason: string; http_status?: number | null }[];
  other_language: (ReportDocument & { language: string })[];
  contradictions: { question: string; answer: string; uri: string; other_question: string; other_answer: string; other_uri: string; reason: string }[];
  stale: (ReportDocument & { last_changed: string; days: number })[];
  suspected_injections: (ReportDocument & { chunk_id: number; ordinal: number; score: number; reasons: string[]; excerpt: string })[];
  settings: { stale_days: number; thin_words: number };
}

export interface SemanticReport {
  status: 'off' | 'unavailable' | 'embedding' | 'ready' | 'error';
  chunks: number;
  embedded_chunks: number;
  model?: string;
  model_path?: string;
  error?: string;
  index?: { status: string; vectors: number; approximate: boolean };
}

// What the page knows of a source besides its id (from GET /bots/{id}/sources).
export interface SourceInfo {
  id: string;
  kind: string; // 'file' | 'crawl' | ...
  name: string;
}

// One document a finding is about, ready to show: a name, a link when it is a web page, and its source.
export interface FindingDocument {
  label: string;
  href: string | null; // web pages only; files have no address to open
  detail: string; // the file name or address when the label is a title
  sourceId: string | null;
  sourceName: string;
  removable: boolean; // an uploaded file: removing its source removes exactly this document
}

export interface Finding {
  key: string;
  summary: string;
  documents: FindingDocument[];
  snippet?: string;
  snippetLabel?: string;
  advice: string;
}

export type SectionId = 'injections' | 'failed' | 'contradictions' | 'duplicates' | 'empty' | 'repetitive' | 'near_duplicates' | 'thin' | 'repeated' | 'stale' | 'language';

// `fix`: answers are wrong or unsafe until it is fixed; `improve`: answers would be better.
export type Severity = 'fix' | 'improve';

export interface HealthSection {
  id: SectionId;
  title: string;
  severity: Severity;
  total: number; // as counted by the server; `findings` holds at most the first 100 of them
  explanation: string;
  findings: Finding[];
}

export const SEVERITY_LABEL: Record<Severity, string> = { fix: 'Needs fixing', improve: 'Worth improving' };

function plural(count: number, one: string, many = one + 's'): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function languageName(code: string): string {
  try {
    const name = new Intl.DisplayNames(['en'], { type: 'language' }).of(code);
    if (name && name !== code) return name;
  } catch {
    // not a language code Intl knows
  }
  return code;
}

function isWebAddress(uri: string): boolean {
  return /^https?:\/\//i.test(uri);
}

export function findingDocument(ref: ReportDocument | { uri: string; source_id?: string; title?: string }, sources: Map<string, SourceInfo>): FindingDocument {
  const source = ref.source_id ? sources.get(ref.source_id) : undefined;
  const title = (ref.title ?? '').trim();
  const label = title || ref.uri;
  return {
    label,
    href: isWebAddress(ref.uri) ? ref.uri : null,
    detail: label === ref.uri ? '' : ref.uri,
    sourceId: ref.source_id ?? null,
    sourceName: source?.name ?? '',
    removable: source?.kind === 'file',
  };
}

// What the owner can do about a document's content: edit the web page (the next sync picks it up) or the file.
function editAdvice(doc: FindingDocument, what: string): string {
  return doc.href ? `Edit the page on your website to ${what}, then choose "Sync now" on the Knowledge tab.` : `Edit the file to ${what} and upload it again with the same name.`;
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

function excerpt(text: string, max = 300): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length > max ? clean.slice(0, max - 1).trimEnd() + '…' : clean;
}

export function healthSections(report: KnowledgeReport, sources: Map<string, SourceInfo>): HealthSection[] {
  const doc = (ref: ReportDocument | { uri: string; source_id?: string; title?: string }) => findingDocument(ref, sources);
  const summary = report.summary;
  const botLanguage = languageName(report.language);
  const empty = report.empty_or_thin.filter((item) => item.problem === 'empty');
  const thin = report.empty_or_thin.filter((item) => item.problem === 'thin');
  const emptyTotal = empty.length; // the server counts both together; the list holds them all unless it hit its cap
  const repeated = report.boilerplate.filter((item) => item.indexed);

  const sections: HealthSection[] = [
    {
      id: 'injections',
      title: 'Suspicious instructions in your content',
      severity: 'fix',
      total: summary.suspected_injections,
      explanation:
        'These passages read like instructions to the chatbot (for example "ignore your previous instructions"). Someone may have planted them to make the bot say something you did not intend. By default the bot does not use them in answers.',
      findings: report.suspected_injections.map((item) => {
        const document = doc(item);
        return {
          key: `injection-${item.chunk_id}`,
          summary: `${document.label}: passage ${item.ordinal + 1} looks like an instruction to the bot (${item.reasons.join(', ') || 'suspicious wording'}).`,
          documents: [document],
          snippet: excerpt(item.excerpt),
          snippetLabel: 'The passage',
          advice: document.removable
            ? 'If you did not write this, remove the file or take the passage out of it and upload it again.'
            : editAdvice(document, 'take the passage out') + ' If the text is genuine, you can leave it.',
        };
      }),
    },
    {
      id: 'failed',
      title: 'Pages and files that could not be read',
      severity: 'fix',
      total: summary.failed,
      explanation: 'The bot knows nothing from these, so it cannot answer questions about them.',
      findings: report.failed.map((item, index) => {
        const document = doc(item);
        const status = item.http_status ? ` (the website answered ${item.http_status})` : '';
        return {
          key: `failed-${index}`,
          summary: `${document.label} could not be read${status}: ${item.reason || 'no reason was given'}.`,
          documents: [document],
          advice: document.href
            ? 'Check that the page opens in your browser. If it was moved or removed, that is fine; otherwise fix it and choose "Sync now" on the Knowledge tab.'
            : 'Check that the file opens and is a supported type (Markdown, HTML, text, PDF, Word, CSV or JSON), then upload it again.',
        };
      }),
    },
    {
      id: 'contradictions',
      title: 'Questions answered in two different ways',
      severity: 'fix',
      total: summary.contradictions,
      explanation: 'Your FAQs ask the same question twice with different answers, so the bot may give either one.',
      findings: report.contradictions.map((item, index) => {
        const first = doc({ uri: item.uri });
        const second = doc({ uri: item.other_uri });
        const why = item.reason.startsWith('different figures: ') ? `the figures differ (${item.reason.slice('different figures: '.length)})` : 'the answers say different things';
        return {
          key: `contradiction-${index}`,
          summary: `"${item.question}" and "${item.other_question}": ${why}.`,
          documents: item.uri === item.other_uri ? [first] : [first, second],
          snippet: `${excerpt(item.answer, 200)}\n— versus —\n${excerpt(item.other_answer, 200)}`,
          snippetLabel: 'The two answers',
          advice: 'Decide which answer is right and correct or delete the other one in your FAQ.',
        };
      }),
    },
    {
      id: 'duplicates',
      title: 'Duplicate documents',
      severity: 'fix',
      total: summary.exact_duplicate_groups,
      explanation: 'The same text was added more than once. Copies crowd out other content in answers and must all be kept up to date.',
      findings: report.exact_duplicates.map((group, index) => {
        const documents = group.documents.map(doc);
        return {
          key: `duplicate-${index}`,
          summary: `${plural(documents.length, 'document')} with exactly the same text: ${documents.map((d) => d.label).join(', ')}.`,
          documents,
          advice: 'Keep one copy and remove the others.',
        };
      }),
    },
    {
      id: 'empty',
      title: 'Empty documents',
      severity: 'fix',
      total: emptyTotal,
      explanation: 'No text could be found in these documents, so the bot learned nothing from them.',
      findings: empty.map((item) => {
        const document = doc(item);
        return {
          key: `empty-${item.document_id}`,
          summary: `${document.label} has no text.`,
          documents: [document],
          advice: document.href
            ? 'If the page shows its text only through pictures or scripts, add the text as a page or file; otherwise leave it out of the crawl.'
            : 'Check the file (a scanned PDF has pictures of text, not text) and upload a version with text, or remove it.',
        };
      }),
    },
    {
      id: 'repetitive',
      title: 'Repetitive text with little information',
      severity: 'fix',
      total: summary.repetitive ?? 0,
      explanation:
        'These documents repeat the same words or passages over and over. They add many useless passages that crowd out real content in answers (often a file exported by mistake or a test file).',
      findings: (report.repetitive ?? []).map((item) => {
        const document = doc(item);
        return {
          key: `repetitive-${item.document_id}`,
          summary: `${document.label}: ${item.problem}.`,
          documents: [document],
          advice: document.removable ? 'Remove the file, or replace it with one that has real content.' : editAdvice(document, 'give it real content') + ' Or leave the page out of the crawl.',
        };
      }),
    },
    {
      id: 'near_duplicates',
      title: 'Nearly identical documents',
      severity: 'improve',
      total: summary.near_duplicate_pairs,
      explanation: 'These documents say almost the same thing. If one is an older version, the bot may answer from it.',
      findings: report.near_duplicates.map((pair, index) => {
        const a = doc(pair.a);
        const b = doc(pair.b);
        return {
          key: `near-${index}`,
          summary: `${a.label} and ${b.label} are ${percent(pair.similarity)} alike.`,
          documents: [a, b],
          advice: 'If one is out of date, remove it or bring it up to date; if both are needed, nothing to do.',
        };
      }),
    },
    {
      id: 'thin',
      title: 'Very short documents',
      severity: 'improve',
      total: Math.max(0, summary.empty_or_thin - emptyTotal),
      explanation: `These have fewer than ${report.settings.thin_words} words, usually too little for a useful answer.`,
      findings: thin.map((item) => {
        const document = doc(item);
        return {
          key: `thin-${item.document_id}`,
          summary: `${document.label} has only ${plural(item.words, 'word')}.`,
          documents: [document],
          advice: editAdvice(document, 'add the details customers ask about') + ' If the page is only a menu or a list of links, you can ignore this.',
        };
      }),
    },
    {
      id: 'repeated',
      title: 'Text repeated across many documents',
      severity: 'improve',
      total: repeated.length,
      explanation: 'The same passage appears in several documents (a footer, a disclaimer, a template). It can push more useful passages out of answers.',
      findings: repeated.map((item, index) => ({
        key: `repeated-${index}`,
        summary: `A passage appears in ${plural(item.pages, 'document')}${(item.documents?.length ?? 0) < item.pages ? `; ${item.documents?.length ? `${item.documents.length} of them are listed` : 'they are not listed'}` : ''}.`,
        documents: (item.documents ?? []).map(doc),
        snippet: excerpt(item.text, 200),
        snippetLabel: 'The passage',
        advice: 'If it adds nothing to answers, keep it in one place only.',
      })),
    },
    {
      id: 'stale',
      title: 'Documents not updated for a long time',
      severity: 'improve',
      total: summary.stale,
      explanation: `These have not changed for more than ${plural(report.settings.stale_days, 'day')}. Prices, opening hours and policies in them may be out of date.`,
      findings: report.stale.map((item) => {
        const document = doc(item);
        return {
          key: `stale-${item.document_id}`,
          summary: `${document.label} last changed ${plural(item.days, 'day')} ago (${item.last_changed.slice(0, 10)}).`,
          documents: [document],
          advice: `Check that it is still correct. If it is not: ${editAdvice(document, 'correct it')}`,
        };
      }),
    },
    {
      id: 'language',
      title: `Documents not in ${botLanguage}`,
      severity: 'improve',
      total: summary.other_language,
      explanation: `Your bot answers in ${botLanguage}; passages in another language are found less often and may be quoted untranslated.`,
      findings: report.other_language.map((item) => {
        const document = doc(item);
        return {
          key: `language-${item.document_id}`,
          summary: `${document.label} is written in ${languageName(item.language)}.`,
          documents: [document],
          advice: `Add a ${botLanguage} version, or remove it if your customers do not need it.`,
        };
      }),
    },
  ];
  return sections;
}

export interface HealthState {
  state: 'empty' | 'healthy' | 'fix' | 'improve';
  headline: string;
}

export function overallState(report: KnowledgeReport, sections: HealthSection[]): HealthState {
  if (report.summary.documents === 0 && report.summary.failed === 0) return { state: 'empty', headline: 'No knowledge to check yet' };
  const count = (severity: Severity) => sections.filter((section) => section.severity === severity).reduce((sum, section) => sum + section.total, 0);
  const fix = count('fix');
  const improve = count('improve');
  if (fix > 0) return { state: 'fix', headline: `${plural(fix, 'problem')} to fix${improve ? `, ${plural(improve, 'suggestion')}` : ''}` };
  if (improve > 0) return { state: 'improve', headline: `Nothing broken; ${plural(improve, 'suggestion')} to improve answers` };
  return { state: 'healthy', headline: 'Your knowledge looks healthy' };
}

// The advice every finding of a section shares, said once for the section rather than on each of them; null when
// there is a single finding or their advice differs.
export function sharedAdvice(section: HealthSection): string | null {
  const [first, ...rest] = section.findings;
  return first && rest.length > 0 && rest.every((finding) => finding.advice === first.advice) ? first.advice : null;
}

// The crawler's own boilerplate filter at work: repeated paragraphs it already keeps out of the index.
export function filteredBoilerplate(report: KnowledgeReport): number {
  return report.boilerplate.filter((item) => !item.indexed).length;
}

// Search by meaning (hybrid retrieval) in a sentence for the owner, and how to show it; null when no embedding model
// is configured (nothing to say).
export interface SemanticNotice {
  kind: 'error' | 'info' | 'success';
  text: string;
}

export function semanticNotice(report: KnowledgeReport): SemanticNotice | null {
  const semantic = report.semantic;
  if (!semantic || semantic.status === 'off') return null;
  const passages = (n: number) => plural(n, 'passage');
  switch (semantic.status) {
    case 'unavailable':
      return { kind: 'error', text: `Search by meaning is off: ${semantic.error ?? 'the embedding model cannot be used'}. Answers use word matching only until the server can load the model.` };
    case 'error':
      return { kind: 'error', text: `Search by meaning is off for this bot: ${semantic.error ?? 'its stored vectors cannot be used'}. Answers use word matching only.` };
    case 'embedding':
      return { kind: 'info', text: `Preparing search by meaning: ${semantic.embedded_chunks} of ${passages(semantic.chunks)} done. Answers use word matching meanwhile and get better as passages are done.` };
    case 'ready':
      return { kind: 'success', text: `Search by meaning is on: ${passages(semantic.chunks)} ready${semantic.model ? ` (${semantic.model})` : ''}.` };
  }
  return null;
}
