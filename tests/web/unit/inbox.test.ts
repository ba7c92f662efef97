import { describe, expect, it } from 'vitest';
import type { InboxRow } from '../../../web/src/admin/api';
import { applyInboxEvent, unreadCount } from '../../../web/src/admin/inbox-feed';

const row = (id: string, status: InboxRow['status'], requested: string): InboxRow => ({
  id, bot_id: 'bot_1', status, agent_id: '', agent_name: '', handoff_reason: 'button', handoff_requested_at: requested,
  claim_deadline_at: null, visitor_told_no_agent: false, claimed_at: null, summary: '', lead_id: null, message_count: 1,
  first_question: 'help', created_at: requested, updated_at: requested,
});

describe('the live inbox list', () => {
  it('starts from the snapshot, adds requests oldest first, updates claims and drops what left the inbox', () => {
    let rows = applyInboxEvent([], 'inbox', { conversations: [row('b', 'waiting_for_agent', '2026-01-01T10:05:00Z')] });
    rows = applyInboxEvent(rows, 'handoff_requested', { conversation: row('a', 'waiting_for_agent', '2026-01-01T10:00:00Z') });
    expect(rows.map((r) => r.id)).toEqual(['a', 'b']);
    rows = applyInboxEvent(rows, 'claimed', { conversation: { ...row('a', 'with_agent', '2026-01-01T10:00:00Z'), agent_name: 'Sam' } });
    expect(rows[0]).toMatchObject({ id: 'a', status: 'with_agent', agent_name: 'Sam' });
    rows = applyInboxEvent(rows, 'message', { conversation_id: 'a', message: { id: 9, role: 'user', text: 'still there?', created_at: '' } });
    expect(rows[0]).toMatchObject({ message_count: 2, last_message: { role: 'user', text: 'still there?' } });
    rows = applyInboxEvent(rows, 'handed_back', { conversation: row('a', 'open', '2026-01-01T10:00:00Z') });
    rows = applyInboxEvent(rows, 'handoff_outside_hours', { conversation: row('c', 'open', '2026-01-01T10:09:00Z') });
    expect(rows.map((r) => r.id)).toEqual(['b']);
    rows = applyInboxEvent(rows, 'closed', { conversation: row('b', 'closed', '2026-01-01T10:05:00Z') });
    expect(rows).toEqual([]);
  });

  it("takes in the summary the server rewrote with the visitor's latest message", () => {
    let rows = applyInboxEvent([], 'inbox', { conversations: [row('a', 'waiting_for_agent', '2026-01-01T10:00:00Z')] });
    rows = applyInboxEvent(rows, 'message', { conversation_id: 'a', message: { id: 3, role: 'user', text: 'order 4411', created_at: '' }, summary: 'Latest: "order 4411".' });
    expect(rows[0].summary).toBe('Latest: "order 4411".');
  });
});

describe('unread messages', () => {
  it('counts the messages since the agent last had the conversation open', () => {
    const waiting = { ...row('a', 'waiting_for_agent', '2026-01-01T10:00:00Z'), message_count: 4 };
    expect(unreadCount(waiting, undefined)).toBe(4);
    expect(unreadCount(waiting, 3)).toBe(1);
    expect(unreadCount(waiting, 4)).toBe(0);
    expect(unreadCount(waiting, 9)).toBe(0);
  });
});
