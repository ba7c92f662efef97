// The agents' live inbox feed (GET /api/v1/inbox/events), one per tab, shared by the top bar (how many visitors
// wait, an alert for each new one) and the Inbox page (the list, the open conversation). What each agent has read
// is kept in this browser (localStorage): a conversation's unread count is its messages since the agent last had it
// open.
import type { InboxRow, TranscriptMessage } from './api';

export interface InboxEvent {
  conversations?: InboxRow[];
  conversation?: InboxRow;
  conversation_id?: string;
  message?: TranscriptMessage;
  summary?: string;
}
export type InboxListener = (event: string, data: InboxEvent) => void;

const EVENTS = ['inbox', 'handoff_requested', 'handoff_outside_hours', 'claimed', 'unclaimed', 'handed_back', 'closed', 'message'];
const isInInbox = (row: InboxRow) => row.status === 'waiting_for_agent' || row.status === 'with_agent';

// The live list: the "inbox" snapshot replaces it; later events add, update or remove one conversation.
export function applyInboxEvent(rows: InboxRow[], event: string, data: InboxEvent): InboxRow[] {
  if (event === 'inbox') return data.conversations ?? [];
  if (event === 'message' && data.message) {
    const message = data.message;
    return rows.map((row) =>
      row.id === data.conversation_id
        ? { ...row, message_count: row.message_count + 1, last_message: { role: message.role, text: message.text }, summary: data.summary ?? row.summary }
        : row,
    );
  }
  const changed = data.conversation;
  if (!changed) return rows;
  const others = rows.filter((row) => row.id !== changed.id);
  return isInInbox(changed) ? [changed, ...others].sort((a, b) => (a.handoff_requested_at ?? '').localeCompare(b.handoff_requested_at ?? '')) : others;
}

// How many of a conversation's messages the agent has not seen (they saw `seen` of them).
export function unreadCount(row: InboxRow, seen: number | undefined): number {
  return Math.max(0, row.message_count - (seen ?? 0));
}

const SEEN_KEY = 'parley:inbox-seen';
function loadSeen(): Record<string, number> {
  try {
    return JSON.parse(localStorage.getItem(SEEN_KEY) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

export class InboxFeed {
  rows: InboxRow[] | null = null;
  connected = true;
  seen: Record<string, number> = loadSeen();
  private source: EventSource | null = null;
  private readonly listeners = new Set<InboxListener>();

  start(): void {
    if (this.source || typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/v1/inbox/events');
    this.source = source;
    for (const name of EVENTS) {
      source.addEventListener(name, (message) => {
        const data = JSON.parse((message as MessageEvent).data) as InboxEvent;
        this.rows = applyInboxEvent(this.rows ?? [], name, data);
        this.connected = true;
        this.emit(name, data);
      });
    }
    source.onopen = () => {
      this.connected = true;
      this.emit('connection', {});
    };
    // EventSource reconnects by itself; the next "inbox" snapshot brings the list up to date.
    source.onerror = () => {
      this.connected = false;
      this.emit('connection', {});
    };
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    this.rows = null;
  }

  subscribe(listener: InboxListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  // The agent has (or had) the conversation open: everything in it so far is read.
  markRead(conversationId: string, messageCount: number): void {
    if ((this.seen[conversationId] ?? 0) >= messageCount) return;
    this.seen = { ...this.seen, [conversationId]: messageCount };
    // Only conversations still in the inbox are remembered, so the record stays small.
    const open = new Set((this.rows ?? []).map((row) => row.id));
    const kept = Object.fromEntries(Object.entries(this.seen).filter(([id]) => open.has(id) || id === conversationId));
    try {
      localStorage.setItem(SEEN_KEY, JSON.stringify(kept));
    } catch {
      // storage unavailable: read marks last for this tab
    }
    this.emit('read', { conversation_id: conversationId });
  }

  waiting(): number {
    return this.rows?.filter((row) => row.status === 'waiting_for_agent').length ?? 0;
  }

  private emit(event: string, data: InboxEvent): void {
    this.listeners.forEach((listener) => listener(event, data));
  }
}

export const inboxFeed = new InboxFeed();
