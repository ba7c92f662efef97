// The widget's lead form (docs/LEADS.md), in the conversation: the bot's fields with their required flags, the
// consent text, checks before sending (required, email, phone, number) and the server's answer per field. Loaded
// only when the form is to be shown (widget-lead-form.js, see lead-form-entry.ts), so widget.js stays small.
import type { ChatClient } from '../shared/chat-client';
import type { LeadFormConfig, LeadFormField, WidgetTexts } from './config';
import { addStyles, el } from './dom';

export interface LeadFormOptions {
  shadow: ShadowRoot;  // the widget's: the form's styles go there
  language: string;  // the bot's, for the country's name in the phone field's hint
  client: ChatClient;
  form: LeadFormConfig;
  texts: WidgetTexts;
  trigger: string;
  visitorToken: string | null;
  // The lead is stored (and tied to the conversation of `visitorToken`, or to a new one).
  onSent(visitorToken: string): void;
  // "Not now": only offered before the chat, which starts without it.
  onSkip?(): void;
}

export type LeadFormBuilder = (options: LeadFormOptions) => HTMLFormElement;

type Input = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

const LEAD_FORM_CSS = `
.lead-form{display:flex;flex-direction:column;align-items:stretch;gap:8px;padding:12px;border:1px solid #dcdcde;border-radius:12px;flex:none}
.lead-form p{margin:0}
.lead-form label{display:flex;flex-direction:column;gap:2px;font-size:13px}
.lead-form .check{flex-direction:row;flex-wrap:wrap;align-items:flex-start;gap:6px}
.lead-form input,.lead-form textarea,.lead-form select{flex:none;min-height:0;resize:vertical;font:inherit;padding:6px 8px;border:1px solid #c3c4c7;border-radius:8px}
.lead-form .error{font-size:12px;width:100%}
.lead-form .hint{font-size:12px;color:#50575e}
.lead-form .error:empty{display:none}
.lead-buttons{display:flex;gap:8px}
.skip{font:inherit;border:0;background:none;text-decoration:underline;cursor:pointer}
`;
const styled = new WeakSet<ShadowRoot>();

const INPUT_TYPES: Record<string, string> = { email: 'email', phone: 'tel', number: 'number', checkbox: 'checkbox' };

function labelOf(field: LeadFormField): string {
  return field.label || field.name.charAt(0).toUpperCase() + field.name.slice(1).replace(/_/g, ' ');
}

function inputFor(field: LeadFormField): Input {
  if (field.type === 'textarea') return el('textarea', { name: field.name, rows: 3 });
  if (field.type === 'select') {
    return el('select', { name: field.name }, el('option', { value: '', text: '' }), ...(field.options ?? []).map((option) => el('option', { value: option, text: option })));
  }
  return el('input', { name: field.name, type: INPUT_TYPES[field.type] ?? 'text', autocomplete: field.name === 'name' ? 'name' : field.type === 'email' || field.name === 'email' ? 'email' : field.type === 'phone' || field.name === 'phone' ? 'tel' : undefined });
}

// The country a phone number without its country code is read in: the bot's, else the region of the visitor's
// browser language ("en-US" → "US"); empty when neither says.
export function phoneCountry(configured: string | undefined, languages: readonly string[]): string {
  if (configured) return configured;
  for (const tag of languages) {
    const region = /^[a-z]{2,3}(?:-[A-Za-z]{4})?-([A-Za-z]{2})\b/.exec(tag)?.[1];
    if (region) return region.toUpperCase();
  }
  return '';
}

// The hint under a phone field: which country a number without its code counts in, or that the code is needed.
export function phoneHint(country: string, language: string, texts: Pick<WidgetTexts, 'phone_hint' | 'phone_code_needed'>): string {
  if (!country) return texts.phone_code_needed;
  let name = country;
  try {
    name = new Intl.DisplayNames([language, 'en'], { type: 'region' }).of(country) ?? country;
  } catch {
    // an Intl without DisplayNames: the code itself
  }
  return texts.phone_hint.replace('{country}', name);
}

// What the browser can tell before sending (the server checks everything again, phones with libphonenumber).
export function checkField(field: LeadFormField, value: string | boolean): 'required' | 'invalid' | null {
  if (typeof value === 'boolean') return field.required && !value ? 'required' : null;
  const text = value.trim();
  if (!text) return field.required ? 'required' : null;
  const type = field.type === 'text' && (field.name === 'email' || field.name === 'phone') ? field.name : field.type;
  if (type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return 'invalid';
  if (type === 'phone' && !/^\+?[\d\s().-]{5,30}$/.test(text)) return 'invalid';
  if (type === 'number' && !Number.isFinite(Number(text))) return 'invalid';
  return null;
}

export function buildLeadForm(options: LeadFormOptions): HTMLFormElement {
  const { form: config, texts } = options;
  if (!styled.has(options.shadow)) {
    styled.add(options.shadow);
    addStyles(options.shadow, LEAD_FORM_CSS);
  }
  const inputs = new Map<string, Input>();
  const errors = new Map<string, HTMLElement>();
  const errorFor = (name: string) => {
    const error = el('span', { class: 'error', id: `pw-lead-${name}-error`, role: 'alert' });
    errors.set(name, error);
    return error;
  };
  const country = phoneCountry(config.phone_country, navigator.languages?.length ? navigator.languages : [navigator.language]);
  const rows = config.fields.map((field) => {
    const input = inputFor(field);
    const phone = field.type === 'phone' || field.name === 'phone';
    const hintId = `pw-lead-${field.name}-hint`;
    input.setAttribute('aria-describedby', `pw-lead-${field.name}-error${phone ? ' ' + hintId : ''}`);
    if (field.required) input.setAttribute('aria-required', 'true');
    inputs.set(field.name, input);
    const caption = el('span', { text: labelOf(field) + (field.required ? ' *' : '') });
    const hint = phone ? [el('span', { class: 'hint', id: hintId, text: phoneHint(country, options.language, texts) })] : [];
    return el('label', { class: field.type === 'checkbox' ? 'check' : '' }, ...(field.type === 'checkbox' ? [input, caption] : [caption, input]), ...hint, errorFor(field.name));
  });
  const consent = el('input', { type: 'checkbox', name: 'consent', 'aria-describedby': 'pw-lead-consent-error' });
  const formError = errorFor('form');
  const submit = el('button', { type: 'submit', class: 'send', text: texts.lead_submit });
  const buttons = el('div', { class: 'lead-buttons' }, submit);
  if (options.onSkip) {
    const skip = options.onSkip;
    buttons.append(el('button', { type: 'button', class: 'skip', text: texts.lead_skip, onclick: () => skip() }));
  }
  const form = el('form', { class: 'lead-form', novalidate: true, 'aria-label': texts.leave_details },
    el('p', { text: texts.lead_intro }), ...rows,
    ...(config.consent ? [el('label', { class: 'check' }, consent, el('span', { text: config.consent }), errorFor('consent'))] : []),
    formError, buttons);

  const show = (name: string, problem: string) => {
    (errors.get(name) ?? formError).textContent = problem;
    inputs.get(name)?.setAttribute('aria-invalid', 'true');
  };
  const clear = () => {
    errors.forEach((error) => (error.textContent = ''));
    inputs.forEach((input) => input.removeAttribute('aria-invalid'));
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clear();
    const fields: Record<string, string | boolean> = {};
    let valid = true;
    for (const field of config.fields) {
      const input = inputs.get(field.name)!;
      const value = input instanceof HTMLInputElement && input.type === 'checkbox' ? input.checked : input.value;
      const problem = checkField(field, value);
      if (problem) {
        show(field.name, problem === 'required' ? texts.field_required : texts.field_invalid);
        valid = false;
      }
      if (typeof value === 'boolean' || value.trim()) fields[field.name] = typeof value === 'boolean' ? value : value.trim();
    }
    if (config.consent && !consent.checked) {
      show('consent', texts.field_required);
      valid = false;
    }
    if (!valid) {
      form.querySelector<HTMLElement>('[aria-invalid=true]')?.focus();
      return;
    }
    submit.disabled = true;
    void send(options, fields, consent.checked, country)
      .then((problems) => {
        if (!problems) return;
        for (const [name, problem] of Object.entries(problems)) show(name, problem);
        submit.disabled = false;
      });
  });
  return form;
}

// Sends the details; null when they are stored, else the problems by field name ("form": not about one field).
async function send(options: LeadFormOptions, fields: Record<string, string | boolean>, consent: boolean, country: string): Promise<Record<string, string> | null> {
  const { client, texts } = options;
  let response: Response;
  try {
    response = await fetch(client.url(`bots/${encodeURIComponent(client.botId)}/leads`), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ fields, consent, trigger: options.trigger, visitor_token: options.visitorToken, ...(country ? { country } : {}) }),
      credentials: 'omit',
      mode: 'cors',
      cache: 'no-store',
    });
  } catch {
    return { form: texts.offline };
  }
  const body = await response.json().catch(() => ({}));
  if (response.ok && typeof body.visitor_token === 'string') {
    options.onSent(body.visitor_token);
    return null;
  }
  const named = body?.error?.fields;
  if (named && typeof named === 'object' && Object.keys(named).length) return named as Record<string, string>;
  return { form: typeof body?.error?.message === 'string' ? body.error.message : texts.error };
}
