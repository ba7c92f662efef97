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
  busy: 'Server busy notice (the widget asks again by itself)',
  not_allowed: 'Shown on sites that may not use the bot',
  talk_to_person: '"Talk to a person" button',
  leave_details: '"Leave your details" button',
  lead_intro: 'Lead form: text above the fields',
  lead_submit: 'Lead form: send button',
  lead_skip: 'Lead form before the chat: "not now" button',
  lead_thanks: 'Lead form: thanks after sending',
  field_required: 'Lead form: a required field is empty',
  field_invalid: 'Lead form: a field is not valid',
  phone_hint: 'Lead form: under the phone field ({country} is the country)',
  phone_code_needed: 'Lead form: under the phone field when no country is known',
};

// What the server uses for the settings a bot leaves out, and the model providers it has
// (GET /api/v1/bots/{id}/widget, from chat::BotSettings and llm::RoutingPolicy).
export interface AnsweringDefaults {
  faq_threshold: number;
  answer_threshold: number;
  max_sources: number;
  // The answer when the knowledge has none, unless the bot sets its own: with and without handoff to a person.
  fallback_message: string;
  fallback_without_handoff: string;
}
export type RoutingMode = 'off' | 'local-only' | 'remote-only' | 'local-first';
// settings.routing as the server reads it (llm::routing_settings); its defaults come from llm::RoutingPolicy{}.
export interface RoutingDefaults {
  mode: RoutingMode;
  local: string;
  remote: string;
  escalate_to: string;
  escalate_below: number;
  spill_after_ms: number;
  bot_monthly_budget_usd: number;
  workspace_monthly_budget_usd: number;
  redact_pii: boolean;
  max_tokens: number;
  temperature: number;
}
export interface ProviderInfo {
  name: string;
  kind: string; // engine | openai | anthropic
  model: string;
  local: boolean;
}
export interface BuilderInfo {
  config: WidgetConfig;
  text_defaults: WidgetTexts;
  answering_defaults: AnsweringDefaults;
  routing_defaults: RoutingDefaults;
  providers: ProviderInfo[];
}

// ---- settings.leads (leads/lead_form.h) ----
export const FIELD_TYPES = ['text', 'textarea', 'email', 'phone', 'number', 'select', 'checkbox'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
// The standard fields become the lead's own columns; their type is fixed.
export const STANDARD_FIELDS: Record<string, { label: string; type: FieldType }> = {
  name: { label: 'Name', type: 'text' },
  email: { label: 'Email', type: 'email' },
  phone: { label: 'Phone', type: 'phone' },
  company: { label: 'Company', type: 'text' },
};
export interface LeadField {
  name: string; // empty for a new custom field: made from its label when saved
  label: string;
  type: FieldType;
  required: boolean;
  options: string; // a select's choices, one per line
}
export interface LeadTriggers {
  before_chat: boolean;
  after_messages: number;
  buying_intent: boolean;
  fallback: boolean;
  on_request: boolean;
}
export interface LeadsForm {
  enabled: boolean;
  fields: LeadField[];
  consent: string;
  default_country: string;
  triggers: LeadTriggers;
}

// ---- settings.handoff (leads/handoff.h) ----
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export interface DayHours {
  open: boolean;
  from: string; // HH:MM
  to: string;
}
export interface HandoffForm {
  enabled: boolean;
  phrases: string; // one per line
  claim_timeout_seconds: number;
  time_zone: string;
  limit_hours: boolean; // false: a person may be asked for at any time (no "hours")
  hours: Record<Weekday, DayHours>;
}

// ---- settings.routing (llm/routing.h) ----
export type RoutingForm = RoutingDefaults;

export interface BotForm {
  name: string;
  language: string;
  greeting: string;
  fallback_message: string;
  persona: string;
  instructions: string;
  suggested_questions: string; // one per line
  // settings.synonyms (search/bot_synonyms.h): one group per line, its words separated by commas.
  synonyms: string;
  allowed_domains: string; // one per line
  primary_color: string;
  position: 'right' | 'left';
  direction: 'auto' | 'ltr' | 'rtl';
  logo_url: string;
  avatar_url: string;
  proactive_open_seconds: number;
  // null: not set on the bot, so the server's current default applies (and keeps applying if it changes).
  faq_threshold: number | null;
  answer_threshold: number | null;
  max_sources: number | null;
  texts: Partial<Record<keyof WidgetTexts, string>>;
  leads: LeadsForm;
  handoff: HandoffForm;
  routing: RoutingForm;
  // settings.notifications.emails (notify/email.h): who is emailed new leads and handoff requests; one per line.
  notification_emails: string;
  // The settings as stored: sections the user did not change are not written, and keys the form does not know are
  // kept.
  stored: Record<string, unknown>;
  routingDefaults: RoutingDefaults;
}

type JsonObject = Record<string, unknown>;
const str = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);
const num = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const bool = (value: unknown, fallback: boolean): boolean => (typeof value === 'boolean' ? value : fallback);
const numOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const object = (value: unknown): JsonObject => (value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : {});
const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const lines = (text: string): string[] => text.split('\n').map((line) => line.trim()).filter(Boolean);
// The keys of `stored` that the form does not handle, to be written back unchanged.
const unknownKeys = (stored: JsonObject, known: readonly string[]): JsonObject =>
  Object.fromEntries(Object.entries(stored).filter(([key]) => !known.includes(key)));
const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

// A form without fields asks for name and email (required) and phone (leads/lead_form.cpp).
const defaultLeadFields = (): LeadField[] => [
  { name: 'name', label: '', type: 'text', required: true, options: '' },
  { name: 'email', label: '', type: 'email', required: true, options: '' },
  { name: 'phone', label: '', type: 'phone', required: false, options: '' },
];

export function leadsFormFromSettings(value: unknown): LeadsForm {
  const leads = object(value);
  const triggers = object(leads.triggers);
  const storedFields = Array.isArray(leads.fields) ? leads.fields.map(object) : [];
  const fields = storedFields.length
    ? storedFields.map((field): LeadField => {
        const name = str(field.name);
        const type = FIELD_TYPES.includes(field.type as FieldType) ? (field.type as FieldType) : (STANDARD_FIELDS[name]?.type ?? 'text');
        return { name, label: str(field.label), type, required: bool(field.required, false), options: list(field.options).join('\n') };
      })
    : defaultLeadFields();
  return {
    enabled: bool(leads.enabled, false),
    fields,
    consent: str(leads.consent),
    default_country: str(leads.default_country),
    triggers: {
      before_chat: bool(triggers.before_chat, false),
      after_messages: num(triggers.after_messages, 0),
      buying_intent: bool(triggers.buying_intent, true),
      fallback: bool(triggers.fallback, true),
      on_request: bool(triggers.on_request, true),
    },
  };
}

// A custom field's name from its label: a-z, 0-9 and _, up to 40, not a standard field's, not taken.
export function fieldNameFromLabel(label: string, taken: Set<string>): string {
  const base =
    label
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 34) || 'field';
  let name = base;
  for (let n = 2; taken.has(name) || name in STANDARD_FIELDS; n++) name = `${base}_${n}`;
  return name;
}

export function leadsSettingsFromForm(form: LeadsForm, stored: unknown): JsonObject {
  const taken = new Set(form.fields.map((field) => field.name).filter(Boolean));
  const fields = form.fields.map((field) => {
    const standard = STANDARD_FIELDS[field.name];
    const name = field.name || fieldNameFromLabel(field.label, taken);
    taken.add(name);
    const out: JsonObject = { name };
    if (field.label.trim()) out.label = field.label.trim();
    if (!standard) out.type = field.type;
    if (field.required) out.required = true;
    if (!standard && field.type === 'select') out.options = lines(field.options);
    return out;
  });
  const storedTriggers = object(object(stored).triggers);
  const leads: JsonObject = {
    ...unknownKeys(object(stored), ['enabled', 'fields', 'consent', 'default_country', 'triggers']),
    enabled: form.enabled,
    fields,
    triggers: { ...unknownKeys(storedTriggers, Object.keys(form.triggers)), ...form.triggers },
  };
  if (form.consent.trim()) leads.consent = form.consent.trim();
  if (form.default_country.trim()) leads.default_country = form.default_country.trim().toUpperCase();
  return leads;
}

// What the hours look like once the owner turns them on: weekdays 9 to 5.
const officeHours = (): Record<Weekday, DayHours> =>
  Object.fromEntries(WEEKDAYS.map((day) => [day, { open: day !== 'sat' && day !== 'sun', from: '09:00', to: '17:00' }])) as Record<Weekday, DayHours>;

export function handoffFormFromSettings(value: unknown): HandoffForm {
  const handoff = object(value);
  const storedHours = handoff.hours && typeof handoff.hours === 'object' ? object(handoff.hours) : null;
  const hours = officeHours();
  if (storedHours) {
    for (const day of WEEKDAYS) {
      // A day missing from stored hours is closed (leads/handoff.cpp).
      const span = list(storedHours[day]);
      hours[day] = span.length === 2 ? { open: true, from: span[0], to: span[1] } : { open: false, from: '09:00', to: '17:00' };
    }
  }
  return {
    enabled: bool(handoff.enabled, true),
    phrases: list(handoff.phrases).join('\n'),
    claim_timeout_seconds: num(handoff.claim_timeout_seconds, 120),
    time_zone: str(handoff.time_zone, 'UTC'),
    limit_hours: storedHours !== null,
    hours,
  };
}

export function handoffSettingsFromForm(form: HandoffForm, stored: unknown): JsonObject {
  const handoff: JsonObject = {
    ...unknownKeys(object(stored), ['enabled', 'phrases', 'claim_timeout_seconds', 'time_zone', 'hours']),
    enabled: form.enabled,
    claim_timeout_seconds: form.claim_timeout_seconds,
    time_zone: form.time_zone,
  };
  const phrases = lines(form.phrases);
  if (phrases.length) handoff.phrases = phrases;
  if (form.limit_hours) {
    handoff.hours = Object.fromEntries(WEEKDAYS.map((day) => [day, form.hours[day].open ? [form.hours[day].from, form.hours[day].to] : []]));
  }
  return handoff;
}

const ROUTING_KEYS = [
  'mode', 'local', 'remote', 'escalate_to', 'escalate_below', 'spill_after_ms', 'bot_monthly_budget_usd',
  'workspace_monthly_budget_usd', 'redact_pii', 'max_tokens', 'temperature',
] as const;

export function routingFormFromSettings(value: unknown, defaults: RoutingDefaults): RoutingForm {
  const routing = object(value);
  return {
    mode: (['off', 'local-only', 'remote-only', 'local-first'] as const).find((mode) => mode === routing.mode) ?? defaults.mode,
    local: str(routing.local, defaults.local),
    remote: str(routing.remote, defaults.remote),
    escalate_to: str(routing.escalate_to, defaults.escalate_to),
    escalate_below: num(routing.escalate_below, defaults.escalate_below),
    spill_after_ms: num(routing.spill_after_ms, defaults.spill_after_ms),
    bot_monthly_budget_usd: num(routing.bot_monthly_budget_usd, defaults.bot_monthly_budget_usd),
    workspace_monthly_budget_usd: num(routing.workspace_monthly_budget_usd, defaults.workspace_monthly_budget_usd),
    redact_pii: bool(routing.redact_pii, defaults.redact_pii),
    max_tokens: num(routing.max_tokens, defaults.max_tokens),
    temperature: num(routing.temperature, defaults.temperature),
  };
}

// Writes the keys the bot already had and those that differ from the server's defaults; the others stay unset, so
// the bot follows the server's defaults.
export function routingSettingsFromForm(form: RoutingForm, stored: unknown, defaults: RoutingDefaults): JsonObject {
  const storedRouting = object(stored);
  const routing: JsonObject = unknownKeys(storedRouting, ROUTING_KEYS);
  for (const key of ROUTING_KEYS) {
    if (key === 'mode' || key in storedRouting || form[key] !== defaults[key]) routing[key] = form[key];
  }
  return routing;
}

// settings.synonyms as stored: groups of words (anything else is left out).
export function synonymGroups(value: unknown): string[][] {
  if (!Array.isArray(value)) return [];
  return value.filter(Array.isArray).map((group) => group.filter((word: unknown): word is string => typeof word === 'string'));
}

// The synonyms field: one group per line, its words separated by commas; blank lines and empty words left out.
export function synonymsFromText(text: string): string[][] {
  return text.split('\n')
    .map((line) => line.split(',').map((word) => word.trim()).filter(Boolean))
    .filter((group) => group.length > 0);
}

// The form for a bot's stored settings; `info` supplies the defaults shown.
export function formFromBot(name: string, settings: Record<string, unknown>, info: Pick<BuilderInfo, 'config' | 'routing_defaults'>): BotForm {
  const { config } = info;
  const widget = object(settings.widget);
  const texts = object(widget.texts);
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
    synonyms: synonymGroups(settings.synonyms).map((group) => group.join(', ')).join('\n'),
    allowed_domains: list(settings.allowed_domains).join('\n'),
    primary_color: str(widget.primary_color, config.primary_color),
    position: widget.position === 'left' ? 'left' : 'right',
    direction: widget.direction === 'ltr' || widget.direction === 'rtl' ? widget.direction : 'auto',
    logo_url: str(widget.logo_url),
    avatar_url: str(widget.avatar_url),
    proactive_open_seconds: num(widget.proactive_open_seconds, 0),
    faq_threshold: numOrNull(settings.faq_threshold),
    answer_threshold: numOrNull(settings.answer_threshold),
    max_sources: numOrNull(settings.max_sources),
    texts: customTexts,
    leads: leadsFormFromSettings(settings.leads),
    handoff: handoffFormFromSettings(settings.handoff),
    routing: routingFormFromSettings(settings.routing, info.routing_defaults),
    notification_emails: list(object(settings.notifications).emails).join('\n'),
    stored: settings,
    routingDefaults: info.routing_defaults,
  };
}

// The PATCH body that stores the form (the server merges settings key by key). Empty optional strings are removed
// (null), so the defaults apply again. The answering values, the lead form, handoff and routing are sent only when
// the user changed them: a bot keeps following the server's defaults for what its owner never set.
export function patchFromForm(form: BotForm): { name: string; settings: Record<string, unknown> } {
  const orNull = (text: string) => (text.trim() ? text : null);
  const texts: Record<string, string> = {};
  for (const [key, value] of Object.entries(form.texts)) if (value && value.trim()) texts[key] = value;
  const storedWidget = object(form.stored.widget);
  const widget: Record<string, unknown> = {
    ...unknownKeys(storedWidget, ['primary_color', 'position', 'direction', 'proactive_open_seconds', 'texts', 'logo_url', 'avatar_url']),
    primary_color: form.primary_color,
    position: form.position,
    direction: form.direction,
    proactive_open_seconds: form.proactive_open_seconds,
    texts: { ...unknownKeys(object(storedWidget.texts), Object.keys(TEXT_LABELS)), ...texts },
  };
  if (form.logo_url.trim()) widget.logo_url = form.logo_url.trim();
  if (form.avatar_url.trim()) widget.avatar_url = form.avatar_url.trim();
  const settings: Record<string, unknown> = {
    language: orNull(form.language.trim()),
    greeting: orNull(form.greeting),
    fallback_message: orNull(form.fallback_message),
    persona: orNull(form.persona),
    instructions: orNull(form.instructions),
    suggested_questions: lines(form.suggested_questions),
    allowed_domains: lines(form.allowed_domains),
    widget,
  };
  for (const key of ['faq_threshold', 'answer_threshold', 'max_sources'] as const) {
    if (form[key] !== numOrNull(form.stored[key])) settings[key] = form[key];
  }
  const synonyms = synonymsFromText(form.synonyms);
  if (!sameJson(synonyms, synonymGroups(form.stored.synonyms))) settings.synonyms = synonyms.length ? synonyms : null;
  if (!sameJson(form.leads, leadsFormFromSettings(form.stored.leads))) settings.leads = leadsSettingsFromForm(form.leads, form.stored.leads);
  if (!sameJson(form.handoff, handoffFormFromSettings(form.stored.handoff))) {
    settings.handoff = handoffSettingsFromForm(form.handoff, form.stored.handoff);
  }
  if (!sameJson(form.routing, routingFormFromSettings(form.stored.routing, form.routingDefaults))) {
    settings.routing = routingSettingsFromForm(form.routing, form.stored.routing, form.routingDefaults);
  }
  const storedNotifications = object(form.stored.notifications);
  if (!sameJson(lines(form.notification_emails), list(storedNotifications.emails))) {
    const notifications = { ...unknownKeys(storedNotifications, ['emails']), emails: lines(form.notification_emails) };
    settings.notifications = notifications.emails.length || Object.keys(notifications).length > 1 ? notifications : null;
  }
  return { name: form.name.trim(), settings };
}

// Where a server error about the settings belongs (its message names the setting: "settings.leads.fields[1]...",
// "settings.allowed_domains: ..."): the section of the lead form, handoff or routing, or one field of the rest of
// the form; and the message in the owner's words, with the field's label in place of the setting's key.
export type FormSection = 'leads' | 'handoff' | 'routing' | 'general';
export interface SettingsProblem {
  section: FormSection;
  field: string | null; // for 'general': the form field (a BotForm key, or "texts.<name>"); null: the form as a whole
  message: string;
}
const DAY_NAMES: Record<string, string> = {
  mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday',
};
// The builder's fields outside the lead form, handoff and routing sections, by their setting's key.
export const GENERAL_FIELDS: Record<string, string> = {
  name: 'Name',
  language: 'Language',
  greeting: 'Greeting',
  fallback_message: 'The answer when the knowledge has none',
  persona: 'Persona',
  instructions: 'Instructions',
  suggested_questions: 'Suggested questions',
  synonyms: 'Synonyms',
  allowed_domains: 'Allowed domains',
  faq_threshold: 'Curated answer match',
  answer_threshold: 'Minimum confidence to answer',
  max_sources: 'Sources per answer',
  primary_color: 'Brand colour',
  position: 'Position',
  direction: 'Text direction',
  logo_url: 'Logo',
  avatar_url: 'Bot avatar',
  proactive_open_seconds: 'Opening the chat by itself',
};
const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function settingsError(message: string): SettingsProblem {
  const bare = /^`(name)` (.*)$/s.exec(message); // the bot's name, checked outside settings
  if (bare) return { section: 'general', field: 'name', message: `${GENERAL_FIELDS.name} ${bare[2]}` };
  const match = /^settings\.(leads|handoff|routing|notifications)\b\.?(\S*)\s*(.*)$/s.exec(message);
  if (!match) {
    const general = /^settings\.(?:widget\.)?([a-z_]+)(?:\.([a-z_]+))?(:?)\s*(.*)$/s.exec(message);
    if (general) {
      const [, key, sub, colon, rest] = general;
      if (key === 'texts' && sub && sub in TEXT_LABELS) {
        return { section: 'general', field: `texts.${sub}`, message: `${TEXT_LABELS[sub as keyof WidgetTexts]}${colon ? ':' : ''} ${rest}` };
      }
      if (key in GENERAL_FIELDS) {
        return { section: 'general', field: key, message: colon ? capitalised(rest) : `${GENERAL_FIELDS[key]} ${rest}` };
      }
    }
    return { section: 'general', field: null, message };
  }
  const [, setting, path, rest] = match;
  // The email recipients are set in the lead form's section.
  const section = setting === 'notifications' ? 'leads' : setting;
  const what = (setting === 'notifications' ? path.replace(/^emails/, 'lead and handoff emails') : path)
    .replace(/^fields\[(\d+)\]\.?/, (_, index: string) => `Field ${Number(index) + 1}${path.includes('].') ? ': ' : ''}`)
    .replace(/^hours\.(\w+)/, (_, day: string) => `${DAY_NAMES[day] ?? day} hours`)
    .replace(/^triggers\./, 'When to show the form: ')
    .replace(/_/g, ' ');
  return { section: section as FormSection, field: null, message: `${what ? capitalised(what) + ' ' : ''}${rest}`.trim() };
}

// What the server stored of the allowed domains, said when it differs from what was typed (a page's address keeps
// only its site, a trailing slash goes, duplicates are dropped); null when it stored them as typed.
export function storedDomainsNote(typed: string, stored: unknown): string | null {
  const saved = list(stored);
  if (sameJson(lines(typed), saved)) return null;
  if (saved.length === 0) return null;
  return `Saved as: ${saved.join(', ')}. Only a site's address counts (a page, its path and a trailing slash are left out).`;
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
