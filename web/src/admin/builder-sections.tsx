// The bot builder's sections for answering, the lead form, handoff and model routing: plain form controls over
// the form state of settings-form.ts (no JSON for the owner to write).
import { Alert } from './ui';
import {
  FIELD_TYPES,
  STANDARD_FIELDS,
  WEEKDAYS,
  type AnsweringDefaults,
  type BotForm,
  type FieldType,
  type HandoffForm,
  type LeadField,
  type LeadsForm,
  type ProviderInfo,
  type RoutingForm,
  type RoutingMode,
} from './settings-form';

const FIELD_TYPE_LABELS: Record<FieldType, string> = {
  text: 'Short text',
  textarea: 'Long text',
  email: 'Email address',
  phone: 'Phone number',
  number: 'Number',
  select: 'Choice from a list',
  checkbox: 'Tick box',
};
const DAY_LABELS: Record<(typeof WEEKDAYS)[number], string> = {
  mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday',
};
const inputValue = (e: Event) => (e.currentTarget as HTMLInputElement).value;
const checked = (e: Event) => (e.currentTarget as HTMLInputElement).checked;
// A number input's handler: `apply` gets each number typed; while the box is empty or not a number the state stays
// as it was (and the box as the owner left it, so that clearing it to type another number works).
const onNumber = (apply: (value: number) => void) => (e: Event) => {
  const value = (e.currentTarget as HTMLInputElement).valueAsNumber;
  if (Number.isFinite(value)) apply(value);
};

export function AnsweringSection({
  form,
  defaults,
  set,
}: {
  form: BotForm;
  defaults: AnsweringDefaults;
  set: (key: 'faq_threshold' | 'answer_threshold' | 'max_sources', value: number | null) => void;
}) {
  const item = (key: 'faq_threshold' | 'answer_threshold' | 'max_sources', label: string, hint: string, step: number, min: number, max: number) => (
    <div class="answering-item">
      <label>
        {label} <span class="muted">({hint})</span>
        <input type="number" step={step} min={min} max={max} value={form[key] ?? defaults[key]} onInput={onNumber((value) => set(key, value))} />
      </label>
      <p class="muted small">
        {form[key] === null ? (
          'The server default.'
        ) : (
          <>
            Set for this bot (default {defaults[key]}).{' '}
            <button type="button" class="link" onClick={() => set(key, null)} aria-label={`Use the default for: ${label}`}>
              Use the default
            </button>
          </>
        )}
      </p>
    </div>
  );
  return (
    <section class="card">
      <h2>Answering</h2>
      <p class="muted small">
        Higher values make the bot more careful: it answers less often, and says it does not know instead. Leave them at the defaults unless the bot
        answers questions it should not, or declines ones it could answer.
      </p>
      <div class="row">
        {item('faq_threshold', 'Curated answer match', '0–1: how closely a question must match one of your FAQ questions', 0.01, 0, 1)}
        {item('answer_threshold', 'Minimum confidence to answer', '0–1', 0.01, 0, 1)}
        {item('max_sources', 'Sources per answer', '1–10', 1, 1, 10)}
      </div>
    </section>
  );
}

export function LeadFormSection({
  leads,
  onChange,
  emails,
  onEmailsChange,
  error,
}: {
  leads: LeadsForm;
  onChange: (leads: LeadsForm) => void;
  emails: string;
  onEmailsChange: (emails: string) => void;
  error: string | null;
}) {
  const setFields = (fields: LeadField[]) => onChange({ ...leads, fields });
  const setField = (index: number, change: Partial<LeadField>) => setFields(leads.fields.map((field, i) => (i === index ? { ...field, ...change } : field)));
  const move = (index: number, by: number) => {
    const fields = [...leads.fields];
    [fields[index], fields[index + by]] = [fields[index + by], fields[index]];
    setFields(fields);
  };
  const missingStandard = Object.keys(STANDARD_FIELDS).filter((name) => !leads.fields.some((field) => field.name === name));
  const addField = (choice: string) => {
    if (!choice) return;
    const field: LeadField =
      choice === 'custom'
        ? { name: '', label: '', type: 'text', required: false, options: '' }
        : { name: choice, label: '', type: STANDARD_FIELDS[choice].type, required: false, options: '' };
    setFields([...leads.fields, field]);
  };
  const setTrigger = <K extends keyof LeadsForm['triggers']>(key: K, value: LeadsForm['triggers'][K]) =>
    onChange({ ...leads, triggers: { ...leads.triggers, [key]: value } });
  const asksContact = leads.fields.some((field) => field.name === 'email' || field.name === 'phone');

  return (
    <section class="card" aria-labelledby="lead-form-heading">
      <h2 id="lead-form-heading">Lead form</h2>
      <p class="muted small">A short form in the chat where visitors leave their contact details. You find what they send under Leads.</p>
      <label class="check">
        <input type="checkbox" checked={leads.enabled} onChange={(e) => onChange({ ...leads, enabled: checked(e) })} />
        Ask visitors for their contact details
      </label>
      <fieldset class="plain" disabled={!leads.enabled}>
        <legend>Fields</legend>
        <ol class="lead-fields">
          {leads.fields.map((field, index) => {
            const standard = STANDARD_FIELDS[field.name];
            const title = field.label || standard?.label || `Field ${index + 1}`;
            return (
              <li key={index} class="lead-field" aria-label={`Field: ${title}`}>
                <div class="row">
                  <label class="grow">
                    Label shown to visitors
                    <input
                      maxLength={200}
                      value={field.label}
                      placeholder={standard ? standard.label : 'e.g. Team size'}
                      required={!standard && !field.name}
                      onInput={(e) => setField(index, { label: inputValue(e) })}
                    />
                  </label>
                  <label>
                    Type
                    {standard ? (
                      <select disabled value={field.type}>
                        <option value={field.type}>{FIELD_TYPE_LABELS[field.type]}</option>
                      </select>
                    ) : (
                      <select value={field.type} onChange={(e) => setField(index, { type: inputValue(e) as FieldType })}>
                        {FIELD_TYPES.map((type) => (
                          <option key={type} value={type}>
                            {FIELD_TYPE_LABELS[type]}
                          </option>
                        ))}
                      </select>
                    )}
                  </label>
                  <label class="check">
                    <input type="checkbox" checked={field.required} onChange={(e) => setField(index, { required: checked(e) })} />
                    Required
                  </label>
                </div>
                {!standard && field.type === 'select' ? (
                  <label>
                    Choices <span class="muted">(one per line)</span>
                    <textarea rows={3} value={field.options} onInput={(e) => setField(index, { options: inputValue(e) })} />
                  </label>
                ) : null}
                <div class="row field-actions">
                  <span class="muted small">{standard ? `Built-in field: saved as the lead's ${field.name}` : field.name ? `Your own field (${field.name})` : 'Your own field'}</span>
                  <button type="button" class="small" disabled={index === 0} onClick={() => move(index, -1)} aria-label={`Move ${title} up`}>
                    ↑
                  </button>
                  <button type="button" class="small" disabled={index === leads.fields.length - 1} onClick={() => move(index, 1)} aria-label={`Move ${title} down`}>
                    ↓
                  </button>
                  <button type="button" class="small danger" onClick={() => setFields(leads.fields.filter((_, i) => i !== index))} aria-label={`Remove ${title}`}>
                    Remove
                  </button>
                </div>
              </li>
            );
          })}
        </ol>
        {!asksContact ? <p class="error small">The form needs an email or a phone field: a lead is someone you can contact.</p> : null}
        <label>
          Add a field
          <select
            value=""
            disabled={leads.fields.length >= 20}
            onChange={(e) => {
              addField(inputValue(e));
              (e.currentTarget as HTMLSelectElement).value = '';
            }}
          >
            <option value="">Choose…</option>
            {missingStandard.map((name) => (
              <option key={name} value={name}>
                {STANDARD_FIELDS[name].label}
              </option>
            ))}
            <option value="custom">Your own field…</option>
          </select>
        </label>
      </fieldset>
      <fieldset class="plain" disabled={!leads.enabled}>
        <legend>Consent and phone numbers</legend>
        <label>
          Consent text <span class="muted">(visitors must tick it to send the form; empty: no tick box)</span>
          <textarea rows={2} maxLength={2000} value={leads.consent} placeholder="I agree that you may contact me about my request." onInput={(e) => onChange({ ...leads, consent: inputValue(e) })} />
        </label>
        <label>
          Country for phone numbers without a + <span class="muted">(two letters, e.g. US, DE; empty: the country of the visitor's browser language, e.g. United States for en-US, else the bot's language if it names one, like en-GB)</span>
          <input maxLength={2} size={4} value={leads.default_country} onInput={(e) => onChange({ ...leads, default_country: inputValue(e).toUpperCase() })} />
        </label>
      </fieldset>
      <fieldset class="plain" disabled={!leads.enabled}>
        <legend>When to show the form</legend>
        <label class="check">
          <input type="checkbox" checked={leads.triggers.before_chat} onChange={(e) => setTrigger('before_chat', checked(e))} />
          Before the chat starts (visitors can put it off)
        </label>
        <label class="check">
          <input type="checkbox" checked={leads.triggers.after_messages > 0} onChange={(e) => setTrigger('after_messages', checked(e) ? Math.max(leads.triggers.after_messages, 3) : 0)} />
          After the visitor has sent some messages
        </label>
        {leads.triggers.after_messages > 0 ? (
          <label class="indent">
            Number of messages
            <input type="number" min={1} max={100} value={leads.triggers.after_messages} onInput={onNumber((value) => setTrigger('after_messages', value))} />
          </label>
        ) : null}
        <label class="check">
          <input type="checkbox" checked={leads.triggers.buying_intent} onChange={(e) => setTrigger('buying_intent', checked(e))} />
          When the visitor asks about prices, quotes, demos or buying
        </label>
        <label class="check">
          <input type="checkbox" checked={leads.triggers.fallback} onChange={(e) => setTrigger('fallback', checked(e))} />
          When the bot cannot answer
        </label>
        <label class="check">
          <input type="checkbox" checked={leads.triggers.on_request} onChange={(e) => setTrigger('on_request', checked(e))} />
          When the visitor asks to be contacted (and a "Leave your details" button)
        </label>
      </fieldset>
      <fieldset class="plain">
        <legend>Tell your team</legend>
        <label>
          Email new leads and requests for a person to <span class="muted">(one address per line, up to 20; the server needs its mail settings, [smtp] in parley.toml)</span>
          <textarea rows={2} value={emails} placeholder="sales@example.com" onInput={(e) => onEmailsChange(inputValue(e))} />
        </label>
      </fieldset>
      <Alert message={error} />
    </section>
  );
}

// Every IANA zone the browser knows (read once), with UTC and the stored zone even if it does not list them.
let browserZones: string[] | null = null;
function timeZones(current: string): string[] {
  if (!browserZones) browserZones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return [...new Set(['UTC', current, ...browserZones])].filter(Boolean);
}

export function HandoffSection({ handoff, onChange, error }: { handoff: HandoffForm; onChange: (handoff: HandoffForm) => void; error: string | null }) {
  const setDay = (day: (typeof WEEKDAYS)[number], change: Partial<HandoffForm['hours'][typeof day]>) =>
    onChange({ ...handoff, hours: { ...handoff.hours, [day]: { ...handoff.hours[day], ...change } } });
  return (
    <section class="card" aria-labelledby="handoff-heading">
      <h2 id="handoff-heading">Handoff to a person</h2>
      <p class="muted small">
        Visitors can ask to talk to a person (with a "Talk to a person" button in the chat, or in their own words); your team answers them in the
        Inbox. When this is off, the bot never offers a person.
      </p>
      <label class="check">
        <input type="checkbox" checked={handoff.enabled} onChange={(e) => onChange({ ...handoff, enabled: checked(e) })} />
        Let visitors ask for a person
      </label>
      <fieldset class="plain" disabled={!handoff.enabled}>
        <label>
          More ways visitors ask for a person <span class="muted">(one per line, e.g. "speak to sales"; common ones like "talk to a person" always work)</span>
          <textarea rows={3} value={handoff.phrases} onInput={(e) => onChange({ ...handoff, phrases: inputValue(e) })} />
        </label>
        <label>
          Wait for someone to answer for <span class="muted">(seconds, 10–86400; then the visitor is offered the lead form)</span>
          <input type="number" min={10} max={86400} value={handoff.claim_timeout_seconds} onInput={onNumber((value) => onChange({ ...handoff, claim_timeout_seconds: value }))} />
        </label>
        <label>
          Time zone of your business hours
          <select value={handoff.time_zone} onChange={(e) => onChange({ ...handoff, time_zone: inputValue(e) })}>
            {timeZones(handoff.time_zone).map((zone) => (
              <option key={zone} value={zone}>
                {zone.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" checked={handoff.limit_hours} onChange={(e) => onChange({ ...handoff, limit_hours: checked(e) })} />
          <span>
            Only during business hours <span class="muted">(outside them visitors are told so and offered the lead form)</span>
          </span>
        </label>
        {handoff.limit_hours ? (
          <table class="hours">
            <caption class="muted small">Business hours</caption>
            <tbody>
              {WEEKDAYS.map((day) => (
                <tr key={day}>
                  <th scope="row">{DAY_LABELS[day]}</th>
                  <td>
                    <label class="check">
                      <input type="checkbox" checked={handoff.hours[day].open} onChange={(e) => setDay(day, { open: checked(e) })} aria-label={`${DAY_LABELS[day]}: open`} />
                      Open
                    </label>
                  </td>
                  <td>
                    <input type="time" disabled={!handoff.hours[day].open} value={handoff.hours[day].from} onInput={(e) => setDay(day, { from: inputValue(e) })} aria-label={`${DAY_LABELS[day]}: opens at`} />
                  </td>
                  <td>
                    <input type="time" disabled={!handoff.hours[day].open} value={handoff.hours[day].to} onInput={(e) => setDay(day, { to: inputValue(e) })} aria-label={`${DAY_LABELS[day]}: closes at`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </fieldset>
      <Alert message={error} />
    </section>
  );
}

const MODES: { mode: RoutingMode; title: string; explanation: string }[] = [
  { mode: 'off', title: 'Off', explanation: 'Answers come only from your content (your FAQ answers and sentences from your pages and files), no AI model. Nothing is sent anywhere.' },
  { mode: 'local-only', title: 'Built-in model only', explanation: "An AI model running on this server writes answers from your content. Nothing leaves the server; answers may take longer when it is busy." },
  { mode: 'remote-only', title: 'Online AI service only', explanation: 'An AI service such as OpenAI or Anthropic writes answers from your content. Fast, but visitors\u2019 questions and parts of your content are sent to it, and it costs money per answer.' },
  { mode: 'local-first', title: 'Built-in model first, online service when busy', explanation: 'The built-in model answers; when it is busy or fails, the online service takes over.' },
];

function ProviderSelect({
  label,
  value,
  providers,
  onChange,
  none,
}: {
  label: string;
  value: string;
  providers: ProviderInfo[];
  onChange: (value: string) => void;
  none?: string;
}) {
  const known = providers.some((provider) => provider.name === value);
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(inputValue(e))}>
        {none !== undefined ? <option value="">{none}</option> : null}
        {value && !known ? <option value={value}>{value} (not set up on this server)</option> : null}
        {providers.map((provider) => (
          <option key={provider.name} value={provider.name}>
            {provider.name} ({provider.model || provider.kind})
          </option>
        ))}
      </select>
    </label>
  );
}

export function RoutingSection({
  routing,
  onChange,
  providers,
  error,
}: {
  routing: RoutingForm;
  onChange: (routing: RoutingForm) => void;
  providers: ProviderInfo[];
  error: string | null;
}) {
  const set = <K extends keyof RoutingForm>(key: K, value: RoutingForm[K]) => onChange({ ...routing, [key]: value });
  const local = providers.filter((provider) => provider.local);
  const remote = providers.filter((provider) => !provider.local);
  const usesLocal = routing.mode === 'local-only' || routing.mode === 'local-first';
  const usesRemote = routing.mode === 'remote-only' || routing.mode === 'local-first';
  return (
    <section class="card" aria-labelledby="routing-heading">
      <h2 id="routing-heading">Model and routing</h2>
      <p class="muted small">Whether an AI model writes the answers, and which one. Whatever you choose, the bot answers only from your content.</p>
      <fieldset class="plain">
        <legend>Who writes the answers</legend>
        {MODES.map(({ mode, title, explanation }) => (
          <label class="check choice" key={mode}>
            <input type="radio" name="routing-mode" value={mode} checked={routing.mode === mode} onChange={() => set('mode', mode)} />
            <span>
              {title}
              <span class="muted small block">{explanation}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {usesLocal && local.length === 0 ? (
        <p class="error small">This server has no built-in model set up ([engine] in parley.toml), so the bot answers from your content without a model.</p>
      ) : null}
      {usesRemote && remote.length === 0 ? (
        <p class="error small">This server has no online AI service set up ([[providers]] in parley.toml){routing.mode === 'remote-only' ? ', so this cannot be saved' : ''}.</p>
      ) : null}
      {routing.mode !== 'off' ? (
        <div class="stack">
          {usesLocal ? <ProviderSelect label="Built-in model" value={routing.local} providers={local} onChange={(value) => set('local', value)} /> : null}
          {usesRemote ? (
            <ProviderSelect
              label={routing.mode === 'local-first' ? 'Online service when the built-in model is busy' : 'Online AI service'}
              value={routing.remote}
              providers={remote}
              onChange={(value) => set('remote', value)}
              none={routing.mode === 'local-first' ? 'None' : 'Choose…'}
            />
          ) : null}
          {routing.mode === 'local-first' ? (
            <label>
              Busy means a wait longer than <span class="muted">(milliseconds)</span>
              <input type="number" min={0} step={500} value={routing.spill_after_ms} onInput={onNumber((value) => set('spill_after_ms', value))} />
            </label>
          ) : null}
          <ProviderSelect
            label="A stronger model for questions your content answers only weakly"
            value={routing.escalate_to}
            providers={providers}
            onChange={(value) => set('escalate_to', value)}
            none="None"
          />
          {routing.escalate_to ? (
            <label>
              Use it below this confidence <span class="muted">(0–1)</span>
              <input type="number" min={0} max={1} step={0.01} value={routing.escalate_below} onInput={onNumber((value) => set('escalate_below', value))} />
            </label>
          ) : null}
          <div class="row">
            <label>
              Monthly budget for this bot <span class="muted">(US$, 0 = no limit)</span>
              <input type="number" min={0} step={1} value={routing.bot_monthly_budget_usd} onInput={onNumber((value) => set('bot_monthly_budget_usd', value))} />
            </label>
            <label>
              Monthly budget for the workspace <span class="muted">(US$, 0 = no limit)</span>
              <input type="number" min={0} step={1} value={routing.workspace_monthly_budget_usd} onInput={onNumber((value) => set('workspace_monthly_budget_usd', value))} />
            </label>
          </div>
          <p class="muted small">Once a budget is spent, the bot stops using online services until next month and answers from your content.</p>
          <label class="check">
            <input type="checkbox" checked={routing.redact_pii} onChange={(e) => set('redact_pii', checked(e))} />
            Hide visitors' emails, phone numbers and other personal data from online services
          </label>
          <div class="row">
            <label>
              Longest answer <span class="muted">(tokens, 1–4096; about ¾ of a word each)</span>
              <input type="number" min={1} max={4096} value={routing.max_tokens} onInput={onNumber((value) => set('max_tokens', value))} />
            </label>
            <label>
              Creativity <span class="muted">(0–2; low keeps answers close to your content)</span>
              <input type="number" min={0} max={2} step={0.1} value={routing.temperature} onInput={onNumber((value) => set('temperature', value))} />
            </label>
          </div>
        </div>
      ) : null}
      <Alert message={error} />
    </section>
  );
}
