import { describe, expect, it } from 'vitest';
import {
  embedSnippet,
  fieldNameFromLabel,
  formFromBot,
  handoffFormFromSettings,
  handoffSettingsFromForm,
  leadsFormFromSettings,
  leadsSettingsFromForm,
  patchFromForm,
  previewConfig,
  routingFormFromSettings,
  routingSettingsFromForm,
  settingsError,
  storedDomainsNote,
  type RoutingDefaults,
} from '../../../web/src/admin/settings-form';
import type { WidgetConfig, WidgetTexts } from '../../../web/src/widget/config';

const defaults = { title: '', launcher: 'Chat with us', send: 'Send', placeholder: 'Type your question…' } as WidgetTexts;
const base: WidgetConfig = {
  bot_id: 'bot_1', name: 'Shop', language: 'en', direction: 'ltr', greeting: 'Hi!', suggested_questions: [],
  primary_color: '#1f6f5c', position: 'right', logo_url: '', avatar_url: '', proactive_open_seconds: 0,
  max_message_chars: 4000, texts: { ...defaults, title: 'Shop' },
};
// As GET /api/v1/bots/{id}/widget returns them (llm::RoutingPolicy{}).
const routingDefaults: RoutingDefaults = {
  mode: 'off', local: 'local', remote: '', escalate_to: '', escalate_below: 0, spill_after_ms: 3000, bot_monthly_budget_usd: 0, workspace_monthly_budget_usd: 0,
  redact_pii: false, max_tokens: 400, temperature: 0.2,
};
const info = { config: base, routing_defaults: routingDefaults };

// Every setting of settings.leads, handoff and routing, in the form the builder writes them.
const fullLeads = {
  enabled: true,
  fields: [
    { name: 'email', label: 'Work email', required: true },
    { name: 'name' },
    { name: 'team_size', label: 'Team size', type: 'select', required: true, options: ['1-10', '11-50', '50+'] },
    { name: 'notes', label: 'Anything else?', type: 'textarea' },
    { name: 'phone', required: true },
    { name: 'company', label: 'Firm' },
    { name: 'newsletter', label: 'Send me news', type: 'checkbox' },
    { name: 'seats', label: 'Seats', type: 'number' },
    { name: 'alt_email', label: 'Other email', type: 'email' },
    { name: 'mobile', label: 'Mobile', type: 'phone' },
    { name: 'city', label: 'City', type: 'text' },
  ],
  triggers: { before_chat: true, after_messages: 4, buying_intent: false, fallback: false, on_request: true },
  consent: 'I agree that Acme may contact me.',
  default_country: 'DE',
};
const fullHandoff = {
  enabled: false,
  claim_timeout_seconds: 300,
  time_zone: 'America/New_York',
  phrases: ['speak to sales', 'real person'],
  hours: { mon: ['08:30', '18:00'], tue: ['09:00', '17:00'], wed: [], thu: ['09:00', '17:00'], fri: ['09:00', '12:00'], sat: ['10:00', '14:00'], sun: [] },
};
const fullRouting = {
  mode: 'local-first', local: 'local', remote: 'openai', escalate_to: 'claude', escalate_below: 0.3, spill_after_ms: 1500,
  bot_monthly_budget_usd: 25, workspace_monthly_budget_usd: 100, redact_pii: true, max_tokens: 800, temperature: 0.7,
};

describe('bot builder form', () => {
  it('round-trips stored settings, and leaves stored thresholds alone when they were not changed', () => {
    const settings = {
      greeting: 'Hello',
      suggested_questions: ['A?', 'B?'],
      allowed_domains: ['shop.example.com'],
      faq_threshold: 0.7,
      widget: { primary_color: '#aa3300', position: 'left', texts: { send: 'Go' } },
    };
    const form = formFromBot('Shop', settings, info);
    expect(form.suggested_questions).toBe('A?\nB?');
    expect(form.position).toBe('left');
    expect(form.texts).toEqual({ send: 'Go' });
    const patch = patchFromForm({ ...form, allowed_domains: ' shop.example.com \n\n*.example.org ' });
    expect(patch.settings.allowed_domains).toEqual(['shop.example.com', '*.example.org']);
    // Unchanged: not sent, so the server keeps the stored 0.7 (the PATCH merges key by key).
    expect(patch.settings).not.toHaveProperty('faq_threshold');
    expect(form.faq_threshold).toBe(0.7);
    expect(patchFromForm({ ...form, faq_threshold: 0.5 }).settings.faq_threshold).toBe(0.5);
    // Back to the server's default: the stored value is removed.
    expect(patchFromForm({ ...form, faq_threshold: null }).settings.faq_threshold).toBeNull();
    expect(patch.settings.widget).toMatchObject({ primary_color: '#aa3300', position: 'left', texts: { send: 'Go' } });
  });

  it('shows synonyms as one group per line and stores them as word groups, only when changed', () => {
    const form = formFromBot('Shop', { synonyms: [['delivery', 'shipping', 'arrive'], ['bike', 'bicycle']] }, info);
    expect(form.synonyms).toBe('delivery, shipping, arrive\nbike, bicycle');
    expect(patchFromForm(form).settings).not.toHaveProperty('synonyms');
    const edited = patchFromForm({ ...form, synonyms: ' delivery ,shipping,, arrive \n\n e-bike, ebike \n' });
    expect(edited.settings.synonyms).toEqual([['delivery', 'shipping', 'arrive'], ['e-bike', 'ebike']]);
    expect(patchFromForm({ ...form, synonyms: '  \n' }).settings.synonyms).toBeNull(); // emptied: removed
    expect(patchFromForm(formFromBot('Shop', {}, info)).settings).not.toHaveProperty('synonyms');
  });

  it('sends null for emptied texts so that the defaults apply again', () => {
    const form = formFromBot('Shop', { persona: 'x' }, info);
    const patch = patchFromForm({ ...form, persona: '  ', texts: { send: '' } });
    expect(patch.settings.persona).toBeNull();
    expect((patch.settings.widget as { texts: object }).texts).toEqual({});
  });

  it('writes no answering value, lead form, handoff or routing the owner did not change', () => {
    const form = formFromBot('Shop', { greeting: 'Hi' }, info);
    expect([form.faq_threshold, form.answer_threshold, form.max_sources]).toEqual([null, null, null]);
    const patch = patchFromForm({ ...form, primary_color: '#123456' });
    for (const key of ['faq_threshold', 'answer_threshold', 'max_sources', 'leads', 'handoff', 'routing']) expect(patch.settings).not.toHaveProperty(key);
    expect((patch.settings.widget as { primary_color: string }).primary_color).toBe('#123456');
    // Only the one value that changed.
    const changed = patchFromForm({ ...form, answer_threshold: 0.6 }).settings;
    expect(changed.answer_threshold).toBe(0.6);
    expect(changed).not.toHaveProperty('faq_threshold');
    expect(changed).not.toHaveProperty('max_sources');
  });

  it('round-trips every setting of the lead form, handoff and routing through the form', () => {
    const settings = { leads: fullLeads, handoff: fullHandoff, routing: fullRouting };
    const form = formFromBot('Shop', settings, info);
    expect(leadsSettingsFromForm(form.leads, fullLeads)).toEqual(fullLeads);
    expect(handoffSettingsFromForm(form.handoff, fullHandoff)).toEqual(fullHandoff);
    expect(routingSettingsFromForm(form.routing, fullRouting, routingDefaults)).toEqual(fullRouting);
    // And the other way: every form value survives settings and back.
    expect(leadsFormFromSettings(leadsSettingsFromForm(form.leads, {}))).toEqual(form.leads);
    expect(handoffFormFromSettings(handoffSettingsFromForm(form.handoff, {}))).toEqual(form.handoff);
    expect(routingFormFromSettings(routingSettingsFromForm(form.routing, {}, routingDefaults), routingDefaults)).toEqual(form.routing);
    // The form shows what is stored.
    expect(form.leads.fields.map((field) => field.name)).toEqual(fullLeads.fields.map((field) => field.name));
    expect(form.leads.fields[2]).toEqual({ name: 'team_size', label: 'Team size', type: 'select', required: true, options: '1-10\n11-50\n50+' });
    expect(form.leads.fields[0].type).toBe('email'); // a standard field's fixed type
    expect(form.handoff.hours.wed.open).toBe(false);
    expect(form.handoff.hours.mon).toEqual({ open: true, from: '08:30', to: '18:00' });
    expect(form.routing.mode).toBe('local-first');
  });

  it('shows the server defaults for absent sections and writes edits of them in full', () => {
    const form = formFromBot('Shop', {}, info);
    expect(form.leads.enabled).toBe(false);
    expect(form.leads.fields.map((field) => [field.name, field.required])).toEqual([['name', true], ['email', true], ['phone', false]]);
    expect(form.leads.triggers).toEqual({ before_chat: false, after_messages: 0, buying_intent: true, fallback: true, on_request: true });
    expect(form.handoff).toMatchObject({ enabled: true, claim_timeout_seconds: 120, time_zone: 'UTC', limit_hours: false });
    expect(form.routing).toMatchObject({ mode: 'off', local: 'local', max_tokens: 400, temperature: 0.2 });

    const patch = patchFromForm({
      ...form,
      leads: { ...form.leads, enabled: true },
      handoff: { ...form.handoff, limit_hours: true },
      routing: { ...form.routing, mode: 'remote-only', remote: 'openai' },
    }).settings;
    expect(patch.leads).toEqual({
      enabled: true,
      fields: [{ name: 'name', required: true }, { name: 'email', required: true }, { name: 'phone' }],
      triggers: { before_chat: false, after_messages: 0, buying_intent: true, fallback: true, on_request: true },
    });
    // Turning the hours on starts from weekdays 9 to 5.
    expect(patch.handoff).toEqual({
      enabled: true, claim_timeout_seconds: 120, time_zone: 'UTC',
      hours: { mon: ['09:00', '17:00'], tue: ['09:00', '17:00'], wed: ['09:00', '17:00'], thu: ['09:00', '17:00'], fri: ['09:00', '17:00'], sat: [], sun: [] },
    });
    // Routing values left at the server's defaults stay unset, so they follow the server.
    expect(patch.routing).toEqual({ mode: 'remote-only', remote: 'openai' });
  });

  it('keeps keys the form does not know, at the top and inside every section', () => {
    const settings = {
      notifications: { emails: ['sales@example.com'] },
      future_setting: 42,
      widget: { primary_color: '#aa3300', shape: 'round', texts: { send: 'Go', future_text: 'x' } },
      leads: { ...fullLeads, future_leads_key: 'keep', triggers: { ...fullLeads.triggers, on_exit: true } },
      handoff: { ...fullHandoff, future_handoff_key: [1, 2] },
      routing: { ...fullRouting, future_routing_key: { a: 1 } },
    };
    const form = formFromBot('Shop', settings, info);
    const patch = patchFromForm({
      ...form,
      primary_color: '#000000',
      leads: { ...form.leads, consent: 'New consent' },
      handoff: { ...form.handoff, claim_timeout_seconds: 60 },
      routing: { ...form.routing, max_tokens: 500 },
    }).settings;
    // Top-level keys the form does not know are not sent at all: the server's merge keeps them.
    expect(patch).not.toHaveProperty('notifications');
    expect(patch).not.toHaveProperty('future_setting');
    expect(patch.widget).toMatchObject({ primary_color: '#000000', shape: 'round', texts: { send: 'Go', future_text: 'x' } });
    expect(patch.leads).toEqual({ ...settings.leads, consent: 'New consent' });
    expect(patch.handoff).toEqual({ ...settings.handoff, claim_timeout_seconds: 60 });
    expect(patch.routing).toEqual({ ...settings.routing, max_tokens: 500 });
  });

  it('sets who is emailed new leads, and sends it only when changed', () => {
    const form = formFromBot('Shop', { notifications: { emails: ['sales@example.com'] } }, info);
    expect(form.notification_emails).toBe('sales@example.com');
    expect(patchFromForm(form).settings).not.toHaveProperty('notifications');
    expect(patchFromForm({ ...form, notification_emails: 'sales@example.com\n\n boss@example.com ' }).settings.notifications).toEqual({
      emails: ['sales@example.com', 'boss@example.com'],
    });
    expect(patchFromForm({ ...form, notification_emails: '  ' }).settings.notifications).toBeNull();
    const future = formFromBot('Shop', { notifications: { emails: ['a@example.com'], sms: ['+1'] } }, info);
    expect(patchFromForm({ ...future, notification_emails: '' }).settings.notifications).toEqual({ sms: ['+1'], emails: [] });
  });

  it('edits lead fields: add, name custom ones from their label, reorder, remove, require', () => {
    const form = formFromBot('Shop', { leads: { enabled: true } }, info);
    const fields = [
      form.leads.fields[1], // email first
      { name: '', label: 'Team size', type: 'select' as const, required: true, options: 'Small\n\n Large ' },
      { name: '', label: 'Team size', type: 'text' as const, required: false, options: '' },
      { name: '', label: 'E-mail', type: 'text' as const, required: false, options: '' },
      { name: 'company', label: '', type: 'text' as const, required: true, options: 'ignored' },
    ];
    const leads = patchFromForm({ ...form, leads: { ...form.leads, fields } }).settings.leads as { fields: unknown[] };
    expect(leads.fields).toEqual([
      { name: 'email', required: true },
      { name: 'team_size', label: 'Team size', type: 'select', required: true, options: ['Small', 'Large'] },
      { name: 'team_size_2', label: 'Team size', type: 'text' },
      { name: 'e_mail', label: 'E-mail', type: 'text' },
      { name: 'company', required: true },
    ]);
    expect(fieldNameFromLabel('Ihre Größe?', new Set())).toBe('ihre_gro_e');
    expect(fieldNameFromLabel('Email', new Set())).toBe('email_2'); // never a standard field's name
    expect(fieldNameFromLabel('???', new Set())).toBe('field');
  });

  it('places server errors next to the section they are about, in plain words', () => {
    expect(settingsError('settings.leads.fields[1].options are needed for a select field')).toEqual({ section: 'leads', field: null, message: 'Field 2: options are needed for a select field' });
    expect(settingsError('settings.leads.fields must include email or phone: a lead is someone the business can contact')).toEqual({
      section: 'leads', field: null, message: 'Fields must include email or phone: a lead is someone the business can contact',
    });
    expect(settingsError('settings.handoff.hours.tue must be ["HH:MM", "HH:MM"] with the opening time first')).toEqual({
      section: 'handoff', field: null, message: 'Tuesday hours must be ["HH:MM", "HH:MM"] with the opening time first',
    });
    expect(settingsError('settings.routing.remote must name a provider for remote-only routing')).toEqual({ section: 'routing', field: null, message: 'Remote must name a provider for remote-only routing' });
    expect(settingsError('settings.notifications.emails: "bob@": this email address is not valid')).toEqual({
      section: 'leads', field: null, message: 'Lead and handoff emails: "bob@": this email address is not valid',
    });
    expect(settingsError('settings.leads must be an object')).toEqual({ section: 'leads', field: null, message: 'must be an object' });
  });

  it('puts every other refusal at its field, with the field label instead of the setting key', () => {
    expect(settingsError('settings.allowed_domains: "shop com" is not a website address. Write the site, like example.com')).toEqual({
      section: 'general', field: 'allowed_domains', message: '"shop com" is not a website address. Write the site, like example.com',
    });
    expect(settingsError('settings.widget.logo_url must be an https: URL or a data:image/ URL')).toEqual({ section: 'general', field: 'logo_url', message: 'Logo must be an https: URL or a data:image/ URL' });
    expect(settingsError('settings.widget.texts.launcher is too long')).toEqual({ section: 'general', field: 'texts.launcher', message: 'Launcher button is too long' });
    expect(settingsError('settings.greeting is too long')).toEqual({ section: 'general', field: 'greeting', message: 'Greeting is too long' });
    expect(settingsError('`name` is empty')).toEqual({ section: 'general', field: 'name', message: 'Name is empty' });
    // Not about one field: said for the whole form.
    expect(settingsError('settings must be a JSON object')).toEqual({ section: 'general', field: null, message: 'settings must be a JSON object' });
  });

  it('says what it stored of the allowed domains when that differs from what was typed', () => {
    expect(storedDomainsNote('shop.example.com\n', ['shop.example.com'])).toBeNull();
    expect(storedDomainsNote('localhost:8099\nhttps://www.shop.com/page\nshop.example.com/', ['localhost:8099', 'https://www.shop.com', 'shop.example.com'])).toBe(
      'Saved as: localhost:8099, https://www.shop.com, shop.example.com. Only a site\'s address counts (a page, its path and a trailing slash are left out).',
    );
  });

  it('previews unsaved changes with defaults, and flips right-to-left languages', () => {
    const form = formFromBot('Shop', {}, info);
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
