// The widget's configuration as GET /api/v1/widget/{bot_id}/config returns it (chat/bot_settings.cpp).
export interface WidgetTexts {
  title: string;
  subtitle: string;
  launcher: string;
  placeholder: string;
  send: string;
  close: string;
  restart: string;
  sources: string;
  thumbs_up: string;
  thumbs_down: string;
  feedback_thanks: string;
  thinking: string;
  error: string;
  offline: string;
  busy: string; // while the server is too busy to answer and the widget waits to ask again
  not_allowed: string;
  talk_to_person: string;
  leave_details: string;
  lead_intro: string;
  lead_submit: string;
  lead_skip: string;
  lead_thanks: string;
  field_required: string;
  field_invalid: string;
  phone_hint: string; // "{country}" is replaced by the country's name
  phone_code_needed: string;
}

export interface WidgetConfig {
  bot_id: string;
  name: string;
  language: string;
  direction: 'ltr' | 'rtl';
  greeting: string;
  suggested_questions: string[];
  primary_color: string;
  position: 'right' | 'left';
  logo_url: string;
  avatar_url: string;
  proactive_open_seconds: number;
  max_message_chars: number;
  texts: WidgetTexts;
  // Leads and handoff (docs/LEADS.md): the public lead form (null when off) and the "talk to a person" button.
  lead_form?: LeadFormConfig | null;
  handoff?: boolean;
}

export interface LeadFormField {
  name: string;
  label: string;
  type: 'text' | 'textarea' | 'email' | 'phone' | 'number' | 'select' | 'checkbox';
  required: boolean;
  options?: string[];
}

// The triggers the widget acts on by itself; buying intent, requests in words and fallbacks come with the answer
// (AnswerDone.lead_form_trigger).
export interface LeadFormConfig {
  fields: LeadFormField[];
  consent: string;
  before_chat: boolean;
  after_messages: number;
  on_request: boolean;
  // The country a phone number without its code is read in, when the bot sets one (else the visitor's browser).
  phone_country?: string;
}

// Only https: and inline images: anything else (http:, javascript:) is not shown.
export function safeImageUrl(url: string): string {
  return /^(https:|data:image\/(png|jpeg|gif|webp|svg\+xml);base64,)/i.test(url) ? url : '';
}

// A readable text colour (black or white) on the given background "#rrggbb".
export function contrastingText(hex: string): string {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!match) return '#ffffff';
  const [r, g, b] = match.slice(1).map((part) => {
    const channel = parseInt(part, 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return luminance > 0.35 ? '#111111' : '#ffffff';
}
