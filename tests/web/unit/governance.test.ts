import { describe, expect, it } from 'vitest';
import { finetuneUrl } from '../../../web/src/admin/pages/conversations';
import { erasureSummary } from '../../../web/src/admin/pages/data';

describe('data governance in the admin app', () => {
  it('says what an erasure removed, in plain words, and when there was nothing', () => {
    expect(erasureSummary({ conversations: 1, messages: 3, leads: 1, deliveries: 2, nothing_to_erase: false })).toBe(
      'Erased 1 conversation (3 messages), 1 lead, and the contents of 2 deliveries.',
    );
    expect(erasureSummary({ conversations: 2, messages: 4, leads: 0, deliveries: 1, nothing_to_erase: false })).toBe(
      'Erased 2 conversations (4 messages), 0 leads, and the contents of 1 delivery.',
    );
    expect(erasureSummary({ conversations: 0, messages: 0, leads: 0, deliveries: 0, nothing_to_erase: true })).toBe(
      'Nothing to erase: no conversation, lead or delivery of this person.',
    );
  });

  it('asks for the fine-tuning export with the chosen options', () => {
    expect(finetuneUrl('bot_1', false, true)).toBe('/api/v1/bots/bot_1/conversations/export-finetune?include_negative=0&redact=1');
    expect(finetuneUrl('bot_1', true, false)).toBe('/api/v1/bots/bot_1/conversations/export-finetune?include_negative=1&redact=0');
  });
});
