// The bot builder's form state, and how it maps to a bot's settings (chat/bot_settings.h) and to the widget preview.
import type { WidgetConfig, WidgetTexts } from '../widget/config';

export const TEXT_LABELS: Record<keyof WidgetTexts, string> = {
  title: 'Panel title',
  subtitle: 'Panel subtitle',
  launcher: 'Launcher button',
  placeholder: 'Message box placeholder',
  send: 'Send button',
  close: 'Close button (screen readers)',
  restart: 'New conversation button (screen readers)',
  sources: 'Sources label',
  thumbs_up: 'Helpful button',
  thumbs_down: 'Not helpful button',
  feedback_thanks: 'Thanks after feedback',
  thinking: 'While the answer is coming (screen readers)',
  error: 'Error message',
  offline: 'Offline notice',
  not_allowed: 'Shown on sites that may not use the bot',
  talk_to_person: '"Talk to a person" button',
  leave_details: '"Leave your details" button',
  lead_intro: 'Lead form: text above the fields',
  lead_submit: 'Lead form: send button',
  lead_skip: 'Lead form before the chat: "not now" button',
  lead_thanks: 'Lead form: thanks after sending',
  field_required: 'Lead form: a required field is empty',
  field_invalid: 'Lead form: a field is not valid',
};

export interface BotForm {
  name: string;
  language: string;
  greeting: string;
  fallback_message: string;
  persona: string;
  instructions: string;
  suggested_questions: string; // one per line
  allowed_domains: string; // one per line
  primary_color: string;
  position: 'right' | 'left';
  direction: 'auto' | 'ltr' | 'rtl';
  logo_url: string;
  avatar_url: string;
  proactive_open_seconds: number;
  faq_threshold: number;
  answer_threshold: number;
  max_sources: number;
  texts: Partial<Record<keyof WidgetTexts, string>>;
  // settings.leads and settings.handoff as JSON text (docs/LEADS.md); empty: the defaults.
  leads: string;
  handoff: string;
}

// An example to start from, shown as the placeholder of the lead form's settings.
export const LEADS_EXAMPLE = JSON.stringify({
  enabled: true,
  fields: [{ name: 'name', required: true }, { name: 'email', required: true }, { name: 'phone' }],
  consent: 'I agree that you may contact me about my request.',
  triggers: { before_chat: false, after_messages: 0, buying_intent: true, fallback: true, on_request: true },
}, null, 2);
export const HANDOFF_EXAMPLE = JSON.stringify({
  enabled: true,
  claim_timeout_seconds: 120,
  time_zone: 'Europe/Berlin',
  hours: { mon: ['09:00', '17:00'], tue: ['09:00', '17:00'], wed: ['09:00', '17:00'], thu: ['09:00', '17:00'], fri: ['09:00', '17:00'], sat: [], sun: [] },
}, null, 2);

const jsonText = (value: unknown): string => (value && typeof value === 'object' ? JSON.stringify(value, null, 2) : '');

// A JSON settings section from its text: null (the defaults) when empty; an Error naming the section when not JSON.
function jsonSection(text: string, label: string): unknown {
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${label}: this is not valid JSON (${error instanceof Error ? error.message : 'parse error'})`);
  }
}

const str = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);
const num = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const lines = (text: string): string[] => text.split('\n').map((line) => line.trim()).filter(Boolean);

// The form for a bot's stored settings; `config` (the public widget config) supplies the defaults shown.
export function formFromBot(name: string, settings: Record<string, unknown>, config: WidgetConfig): BotForm {
  const widget = (settings.widget ?? {}) as Record<string, unknown>;
  const texts = (widget.texts ?? {}) as Record<string, unknown>;
  const customTexts: BotForm['texts'] = {};
  for (const key of Object.keys(TEXT_LABELS) as (keyof WidgetTexts)[]) {
    if (typeof texts[key] === 'string') customTexts[key] = texts[key] as string;
  }
  return {
    name,
    language: str(settings.language, config.language),
    greeting: str(settings.greeting, config.greeting),
    fallback_message: str(settings.fallback_message),
    persona: str(settings.persona),
    instructions: str(settings.instructions),
    suggested_questions: list(settings.suggested_questions).join('\n'),
    allowed_domains: list(settings.allowed_domains).join('\n'),
    primary_color: str(widget.primary_color, config.primary_color),
    position: widget.position === 'left' ? 'left' : 'right',
    direction: widget.direction === 'ltr' || widget.direction === 'rtl' ? widget.direction : 'auto',
    logo_url: str(widget.logo_url),
    avatar_url: str(widget.avatar_url),
    proactive_open_seconds: num(widget.proactive_open_seconds, 0),
    faq_threshold: num(settings.faq_threshold, 0.62),
    answer_threshold: num(settings.answer_threshold, 0.5),
    max_sources: num(settings.max_sources, 3),
    texts: customTexts,
    leads: jsonText(settings.leads),
    handoff: jsonText(settings.handoff),
  };
}

// The PATCH body that stores the form. Empty optional strings are removed (null), so the defaults apply again.
// Throws an Error naming the section whose JSON does not parse (the server checks the rest).
export function patchFromForm(form: BotForm): { name: string; settings: Record<string, unknown> } {
  const orNull = (text: string) => (text.trim() ? text : null);
  const texts: Record<string, string> = {};
  for (const [key, value] of Object.entries(form.texts)) if (value && value.trim()) texts[key] = value;
  const widget: Record<string, unknown> = {
    primary_color: form.primary_color,
    position: form.position,
    direction: form.direction,
    proactive_open_seconds: form.proactive_open_seconds,
    texts,
  };
  if (form.logo_url.trim()) widget.logo_url = form.logo_url.trim();
  if (form.avatar_url.trim()) widget.avatar_url = form.avatar_url.trim();
  return {
    name: form.name.trim(),
    settings: {
      language: orNull(form.language.trim()),
      greeting: orNull(form.greeting),
      fallback_message: orNull(form.fallback_message),
      persona: orNull(form.persona),
      instructions: orNull(form.instructions),
      suggested_questions: lines(form.suggested_questions),
      allowed_domains: lines(form.allowed_domains),
      faq_threshold: form.faq_threshold,
      answer_threshold: form.answer_threshold,
      max_sources: form.max_sources,
      widget,
      leads: jsonSection(form.leads, 'Lead form'),
      handoff: jsonSection(form.handoff, 'Handoff to a person'),
    },
  };
}

const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur', 'yi', 'ps', 'sd', 'ug', 'dv', 'ku']);

// What the widget would show with the form's (unsaved) values: the live preview.
export function previewConfig(form: BotForm, base: WidgetConfig, defaults: WidgetTexts): WidgetConfig {
  const texts = { ...defaults } as WidgetTexts;
  for (const [key, value] of Object.entries(form.texts)) if (value && value.trim()) texts[key as keyof WidgetTexts] = value;
  if (!texts.title) texts.title = form.name || base.name;
  const language = form.language.trim() || 'en';
  const direction = form.direction === 'auto' ? (RTL_LANGUAGES.has(language.split('-')[0].toLowerCase()) ? 'rtl' : 'ltr') : form.direction;
  return {
    ...base,
    name: form.name,
    language,
    direction,
    greeting: form.greeting,
    suggested_questions: lines(form.suggested_questions).slice(0, 6),
    primary_color: /^#[0-9a-f]{6}$/i.test(form.primary_color) ? form.primary_color : base.primary_color,
    position: form.position,
    logo_url: form.logo_url.trim(),
    avatar_url: form.avatar_url.trim(),
    proactive_open_seconds: form.proactive_open_seconds,
    texts,
  };
}

// The one line a business pastes into its site.
export function embedSnippet(origin: string, botId: string): string {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<script src="${escape(origin)}/widget.js" data-bot="${escape(botId)}" async></script>`;
}
