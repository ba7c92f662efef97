// The admin API as the app uses it: same-origin JSON calls carrying the session cookie. Errors come back as
// ApiError with the server's code and message (never a stack trace); a 401 sends the app to the sign-in screen.
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly field?: string, // the request field the server's refusal is about
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = await response.json();
    if (body?.error) {
      const field = typeof body.error.field === 'string' ? body.error.field : undefined;
      return new ApiError(String(body.error.code), String(body.error.message), response.status, field);
    }
  } catch {
    // not JSON
  }
  return new ApiError('http_' + response.status, `The server answered ${response.status} ${response.statusText}`.trim(), response.status);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch('/api/v1' + path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('network', 'The server cannot be reached. Check your connection and try again.', 0);
  }
  if (response.status === 401 && !path.startsWith('/auth/login')) onUnauthorized();
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Something went wrong. Please try again.';
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: string;
  display_name?: string; // the name, or the email until the person sets one
  state?: 'invited' | 'active'; // invited: has not chosen a password yet
  created_at?: string;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  role: string;
  created_at: string;
  last_used_at: string | null;
  revoked: boolean;
}

export interface Bot {
  id: string;
  name: string;
  settings: Record<string, unknown>;
  knowledge_version: number;
  created_at: string;
  updated_at: string;
  sources?: SourceRow[];
}

export interface SourceRow {
  id: string;
  kind: string;
  name: string;
  status: string;
  error: string | null;
  document_count: number;
  chunk_count: number;
  crawl?: CrawlSettings | null; // crawl sources only
  next_sync_at?: string | null;
  updated_at: string;
}

// A crawl source's settings as the server normalised them (crawl::to_json).
export interface CrawlSettings {
  url?: string;
  sitemap?: string;
  max_pages: number;
  include: string[];
  exclude: string[];
  schedule: string;
}

// A background job (api::job_view): a crawl, a resync or an upload batch.
export interface JobRow {
  id: string;
  bot_id: string;
  source_id: string | null;
  kind: string;
  state: 'queued' | 'running' | 'paused' | 'cancelled' | 'succeeded' | 'failed';
  trigger: string;
  progress: Record<string, unknown>;
  result: Record<string, unknown>;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface DocumentRow {
  id: string;
  uri: string;
  title: string;
  content_type: string;
  byte_size: number;
  status: string;
  error: string | null;
  updated_at: string;
}

export interface MessageSource {
  title: string;
  url: string;
  snippet?: string;
  score?: number;
}

export interface ConversationRow {
  id: string;
  test?: boolean; // the playground's (or a script's): left out of analytics
  message_count: number;
  first_question: string;
  fallback_count: number;
  thumbs_up: number;
  thumbs_down: number;
  created_at: string;
  updated_at: string;
}

export interface LeadRow {
  id: string;
  name: string;
  email: string;
  phone: string;
  company: string;
  trigger: string;
  conversation_id: string | null;
  submissions: number;
  created_at: string;
}

export interface TranscriptMessage {
  id: number;
  role: string;
  text: string;
  author?: string;
  created_at: string;
  mode?: string;
  confidence?: number;
  sources?: MessageSource[];
  latency_ms?: number;
  rating?: number;
}

// A conversation waiting for or held by a person (leads::support_view).
export interface InboxRow {
  id: string;
  bot_id: string;
  status: 'waiting_for_agent' | 'with_agent' | 'open' | 'closed';
  agent_id: string;
  agent_name: string;
  handoff_reason: string;
  handoff_requested_at: string | null;
  claim_deadline_at: string | null;
  visitor_told_no_agent: boolean;
  claimed_at: string | null;
  summary: string;
  lead_id: string | null;
  message_count: number;
  first_question: string;
  created_at: string;
  updated_at: string;
  last_message?: { role: string; text: string };
}

export interface Webhook {
  id: string;
  bot_id: string | null;
  url: string;
  events: string[];
  format: 'json' | 'slack';
  secret: string;
  description: string;
  active: boolean;
  created_at: string;
}

export interface Delivery {
  id: number;
  channel: string;
  event_id: string;
  event_type: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string | null;
  last_status: number;
  last_error: string;
  created_at: string;
  delivered_at: string | null;
  payload: unknown;
  attempts_log?: { at: string; status: number; error: string; duration_ms: number; response: string }[];
}

// A bot's test case (evals::case_json): the question, what a good answer must do, and the latest run's result.
export interface TestExpectations {
  source: string | null; // a cited source's title or address contains this
  text: string | null; // the answer contains this phrase
  decline: boolean; // the bot declines (a fallback answer)
}

export interface TestResult {
  passed: boolean;
  failures: string[]; // the unmet expectations, described (empty when it passed)
  answer: string;
  mode: string;
  sources: MessageSource[];
  run_at: string;
}

export interface TestCase {
  id: string;
  question: string;
  expectations: TestExpectations;
  created_at: string;
  last: TestResult | null; // null: never run
}

// One run of the suite (evals::run_json): each case with this run's result and whether it flipped since the last.
export interface TestRun {
  passed: number;
  failed: number;
  elapsed_ms: number;
  cases: (Omit<TestResult, 'run_at'> & { id: string; previous: TestResult | null; changed: boolean })[];
}

// The workspace's retention in days after the last activity (0: kept forever).
export interface Retention {
  conversations_days: number;
  leads_days: number;
}

// What an erasure removed (governance::erasure_json): counts, never the data.
export interface Erasure {
  conversations: number;
  messages: number;
  leads: number;
  deliveries: number;
  nothing_to_erase: boolean;
  message?: string;
}

// A group of questions the bot missed (learn::suggestion_json): declined, or whose answer got a thumbs-down.
export interface Suggestion {
  id: string;
  question: string; // the wording asked most often
  count: number;
  declined: number;
  thumbs_down: number;
  last_asked_at: string;
  examples: string[]; // distinct wordings, latest first
}

// A curated Q&A pair (learn::pair_json): typed in the app, or an answer to a suggestion or an improved answer.
export interface QaPair {
  id: string;
  source_id: string;
  uri: string; // what the bot's citations of the pair show
  question: string;
  answer: string;
  created_at: string;
  updated_at: string;
}

// What adding a curated answer made (learn::answered_json).
export interface CuratedAnswerResult {
  pair: QaPair;
  test: TestCase | null; // the test case added with it
  suggestion_id: string | null; // the suggestion it answered
}
