// The widget's and the playground's side of the chat API: one streamed answer (POST .../chat with
// Accept: text/event-stream), the public widget config, the visitor's conversation, and feedback.
import { SseParser } from './sse';

export interface Source {
  title: string;
  url: string;
  snippet?: string;
  score?: number;
}

export interface AnswerDone {
  mode: string;
  confidence: number;
  conversation_id: string;
  message_id: number;
  visitor_token: string;
  latency_ms: number;
  // Handoff to a person (docs/LEADS.md): "waiting_for_agent" or "with_agent" while a person has the conversation.
  status?: string;
  offer_lead_form?: boolean;
  // Why this answer offers the lead form (the bot's triggers): buying_intent, request or fallback.
  lead_form_trigger?: string;
}

export interface PersonRequested {
  status: string;
  text: string;
  offer_lead_form: boolean;
  visitor_token: string;
}

export interface StreamHandlers {
  onDelta(text: string): void;
  // The text streamed so far is withdrawn (a model failed mid-answer, or declined): a different answer follows.
  onReset(): void;
  onSources(sources: Source[]): void;
  onDone(done: AnswerDone): void;
}

// An error the server answered with ({"error": {code, message}}), or a network failure (code "network").
export class ChatError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

// The error of a refused request from its status and body.
export function errorOf(status: number, statusText: string, body: string): ChatError {
  try {
    const parsed = JSON.parse(body);
    if (parsed?.error?.message) return new ChatError(String(parsed.error.code), String(parsed.error.message), status);
  } catch {
    // not JSON: fall through to the status line
  }
  return new ChatError('http_' + status, statusText || 'request failed', status);
}

async function send(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { credentials: 'omit', mode: 'cors', cache: 'no-store', ...init });
  } catch (error) {
    throw new ChatError('network', error instanceof Error ? error.message : 'network error');
  }
  if (!response.ok) throw errorOf(response.status, response.statusText, await response.text().catch(() => ''));
  return response;
}

export class ChatClient {
  constructor(
    readonly baseUrl: string,
    readonly botId: string,
  ) {}

  url(path: string): string {
    return `${this.baseUrl}/api/v1/${path}`;
  }

  // A public widget endpoint of this bot: config, conversation, events, handoff, feedback.
  private widget(endpoint: string): string {
    return this.url(`widget/${encodeURIComponent(this.botId)}/${endpoint}`);
  }

  // Asks one question and streams the answer into `handlers`; resolves when the answer is complete. `test`: the
  // admin app's playground (same origin, so its session goes along): a test conversation, left out of analytics.
  //
  // XMLHttpRequest, not fetch: Chromium reports a fetch whose body was read as a stream as cancelled
  // (net::ERR_ABORTED) about half the time, although every byte arrived; an XHR's progress events stream the
  // answer just as well and it ends as complete.
  ask(message: string, visitorToken: string | null, handlers: StreamHandlers, options: { test?: boolean } = {}): Promise<void> {
    const body: Record<string, unknown> = { message };
    if (visitorToken) body.visitor_token = visitorToken;
    if (options.test) body.test = true;
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      const parser = new SseParser();
      const ok = () => request.status >= 200 && request.status < 300;
      let read = 0;
      let finished = false;
      let failure: ChatError | undefined;
      // Hands the events that arrived since the last call to the handlers; an error event or unreadable data ends
      // the answer (the load event then rejects).
      const take = () => {
        if (failure || !ok()) return;
        const text = request.responseText;
        try {
          for (const event of parser.push(text.slice(read))) {
            const data = JSON.parse(event.data);
            if (event.event === 'delta') handlers.onDelta(String(data.text ?? ''));
            else if (event.event === 'reset') handlers.onReset();
            else if (event.event === 'sources') handlers.onSources(Array.isArray(data.sources) ? data.sources : []);
            else if (event.event === 'done') {
              finished = true;
              handlers.onDone(data as AnswerDone);
            } else if (event.event === 'error') throw new ChatError(String(data?.error?.code ?? 'error'), String(data?.error?.message ?? 'error'));
          }
        } catch (error) {
          failure = error instanceof ChatError ? error : new ChatError('network', 'unreadable answer');
        }
        read = text.length;
      };
      request.open('POST', this.url(`bots/${encodeURIComponent(this.botId)}/chat`));
      request.setRequestHeader('Content-Type', 'application/json');
      request.setRequestHeader('Accept', 'text/event-stream');
      request.onprogress = take;
      request.onload = () => {
        take();
        failure ??= ok() ? (finished ? undefined : new ChatError('network', 'connection lost mid-answer'))
          : errorOf(request.status, request.statusText, request.responseText);
        if (failure) reject(failure);
        else resolve();
      };
      request.onerror = () => reject(new ChatError('network', 'network error'));
      request.send(JSON.stringify(body));
    });
  }

  async config<T>(): Promise<T> {
    const response = await send(this.widget('config'), { method: 'GET' });
    return (await response.json()) as T;
  }

  async conversation<T>(visitorToken: string): Promise<T> {
    const response = await send(this.widget('conversation'), {
      method: 'GET',
      headers: { 'X-Visitor-Token': visitorToken },
    });
    return (await response.json()) as T;
  }

  // The visitor's live stream of a conversation with a person (Server-Sent Events: status, message, ping).
  liveUrl(visitorToken: string): string {
    return `${this.widget('events')}?visitor_token=${encodeURIComponent(visitorToken)}`;
  }

  // The "talk to a person" button.
  async requestPerson(visitorToken: string | null): Promise<PersonRequested> {
    const response = await send(this.widget('handoff'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ visitor_token: visitorToken }),
    });
    return response.json();
  }

  async feedback(visitorToken: string, messageId: number, rating: -1 | 0 | 1): Promise<void> {
    await send(this.widget('feedback'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': visitorToken },
      body: JSON.stringify({ message_id: messageId, rating }),
    });
  }
}
