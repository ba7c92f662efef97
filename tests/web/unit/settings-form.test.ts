import { describe, expect, it } from 'vitest';
import { embedSnippet, formFromBot, patchFromForm, previewConfig } from '../../../web/src/admin/settings-form';
import type { WidgetConfig, WidgetTexts } from '../../../web/src/widget/config';

const defaults = { title: '', launcher: 'Chat with us', send: 'Send', placeholder: 'Type your question…' } as WidgetTexts;
const base: WidgetConfig = {
  bot_id: 'bot_1', name: 'Shop', language: 'en', direction: 'ltr', greeting: 'Hi!', suggested_questions: [],
  primary_color: '#1f6f5c', position: 'right', logo_url: '', avatar_url: '', proactive_open_seconds: 0,
  max_message_chars: 4000, texts: { ...defaults, title: 'Shop' },
};

describe('bot builder form', () => {
  it('round-trips stored settings, keeping unknown thresholds', () => {
    const settings = {
      greeting: 'Hello',
      suggested_questions: ['A?', 'B?'],
      allowed_domains: ['shop.example.com'],
      faq_threshold: 0.7,
      widget: { primary_color: '#aa3300', position: 'left', texts: { send: 'Go' } },
    };
    const form = formFromBot('Shop', settings, base);
    expect(form.suggested_questions).toBe('A?\nB?');
    expect(form.position).toBe('left');
    expect(form.texts).toEqual({ send: 'Go' });
    const patch = patchFromForm({ ...form, allowed_domains: ' shop.example.com \n\n*.example.org ' });
    expect(patch.settings.allowed_domains).toEqual(['shop.example.com', '*.example.org']);
    expect(patch.settings.faq_threshold).toBe(0.7);
    expect(patch.settings.widget).toMatchObject({ primary_color: '#aa3300', position: 'left', texts: { send: 'Go' } });
  });

  it('sends null for emptied texts so that the defaults apply again', () => {
    const form = formFromBot('Shop', { persona: 'x' }, base);
    const patch = patchFromForm({ ...form, persona: '  ', texts: { send: '' } });
    expect(patch.settings.persona).toBeNull();
    expect((patch.settings.widget as { texts: object }).texts).toEqual({});
  });

  it('keeps the lead form and handoff settings as JSON, and names a section that does not parse', () => {
    const leads = { enabled: true, consent: 'OK to call', triggers: { after_messages: 3 } };
    const form = formFromBot('Shop', { leads }, base);
    expect(JSON.parse(form.leads)).toEqual(leads);
    expect(form.handoff).toBe('');
    const patch = patchFromForm(form);
    expect(patch.settings.leads).toEqual(leads);
    expect(patch.settings.handoff).toBeNull();
    expect(() => patchFromForm({ ...form, handoff: '{"hours": ' })).toThrow(/^Handoff to a person: this is not valid JSON/);
  });

  it('previews unsaved changes with defaults, and flips right-to-left languages', () => {
    const form = formFromBot('Shop', {}, base);
    const preview = previewConfig({ ...form, name: 'Boutique', language: 'ar', texts: { send: 'إرسال' } }, base, defaults);
    expect(preview.direction).toBe('rtl');
    expect(preview.texts.send).toBe('إرسال');
    expect(preview.texts.launcher).toBe('Chat with us');
    expect(preview.texts.title).toBe('Boutique');
    expect(previewConfig({ ...form, primary_color: 'not a colour' }, base, defaults).primary_color).toBe('#1f6f5c');
  });

  it('makes the one-line embed snippet', () => {
    expect(embedSnippet('https://chat.example.com', 'bot_abc')).toBe(
      '<script src="https://chat.example.com/widget.js" data-bot="bot_abc" async></script>',
    );
    expect(embedSnippet('https://x', 'a"b<')).toContain('data-bot="a&quot;b&lt;"');
  });
});
