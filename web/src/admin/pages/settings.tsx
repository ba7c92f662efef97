// The bot builder: every setting of the bot and its widget, a live preview, and the snippet to embed.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, errorMessage, type Bot } from '../api';
import { AnsweringSection, HandoffSection, LeadFormSection, RoutingSection } from '../builder-sections';
import { FieldError, invalidProps, sentence, type FieldProblem } from '../fields';
import { TEXT_LABELS, embedSnippet, formFromBot, patchFromForm, previewConfig, settingsError, storedDomainsNote, type BotForm, type BuilderInfo, type SettingsProblem } from '../settings-form';
import { Alert, Loading } from '../ui';
import { InstallationCheck } from '../installation-check';
import { WidgetPreview } from '../widget-preview';
import type { WidgetTexts } from '../../widget/config';

const MAX_IMAGE_BYTES = 96 * 1024;

export function Settings({ bot, onSaved }: { bot: Bot; onSaved: (bot: Bot) => void }) {
  const [info, setInfo] = useState<BuilderInfo | null>(null);
  const [form, setForm] = useState<BotForm | null>(null);
  const [error, setError] = useState<string | null>(null);
  // A refused save, shown next to the section or field it is about.
  const [sectionError, setSectionError] = useState<SettingsProblem | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  // What the server stored of the allowed domains, when it differs from what was typed.
  const [domainsNote, setDomainsNote] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    api<BuilderInfo>('GET', `/bots/${bot.id}/widget`)
      .then((body) => {
        setInfo(body);
        setForm(formFromBot(bot.name, bot.settings, body));
      })
      .catch((failure) => setError(errorMessage(failure)));
  }, [bot.id]);

  const preview = useMemo(() => (form && info ? previewConfig(form, info.config, info.text_defaults) : null), [form, info]);
  if (!form || !info || !preview) return error ? <Alert message={error} /> : <Loading />;

  const set = <K extends keyof BotForm>(key: K, value: BotForm[K]) => {
    setSaved(null);
    if (key === 'allowed_domains') setDomainsNote(null);
    setForm({ ...form, [key]: value });
  };
  // A field of the general part of the form: marked and described by the server's refusal when it is about it.
  const fieldProblem: FieldProblem | null = sectionError?.section === 'general' && sectionError.field ? { field: sectionError.field, message: sectionError.message } : null;
  const invalid = (field: string) => invalidProps(fieldProblem, 'builder', field);
  const fieldError = (field: string) => <FieldError problem={fieldProblem} form="builder" field={field} />;
  const setText = (key: keyof WidgetTexts, value: string) => set('texts', { ...form.texts, [key]: value });
  const text = (key: keyof BotForm) => ({
    value: form[key] as string,
    onInput: (e: Event) => set(key, (e.currentTarget as HTMLInputElement).value as never),
  });
  const pickImage = (key: 'logo_url' | 'avatar_url') => (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    if (file.size > MAX_IMAGE_BYTES) {
      setError(`The image is larger than ${MAX_IMAGE_BYTES / 1024} KB; choose a smaller one or link an https: address.`);
      return;
    }
    const reader = new FileReader();
    reader.onload = () => set(key, String(reader.result));
    reader.readAsDataURL(file);
  };
  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setSectionError(null);
    try {
      const updated = await api<Bot>('PATCH', `/bots/${bot.id}`, patchFromForm(form));
      onSaved(updated);
      setDomainsNote(storedDomainsNote(form.allowed_domains, updated.settings.allowed_domains));
      // What is stored now is what the next save compares with.
      setForm(formFromBot(updated.name, updated.settings, info));
      const refreshed = await api<BuilderInfo>('GET', `/bots/${bot.id}/widget`);
      setInfo(refreshed);
      setSaved('Saved. Visitors see the changes within a minute.');
    } catch (failure) {
      const located = settingsError(errorMessage(failure));
      if (located.section === 'general' && !located.field) {
        setError(sentence(located.message));
        return;
      }
      setSectionError({ ...located, message: sentence(located.message) });
      const names = { leads: '"Lead form"', handoff: '"Handoff to a person"', routing: '"Model and routing"', general: 'the field marked in red' };
      setError(`Not saved: see ${names[located.section]} above.`);
      if (located.field) requestAnimationFrame(() => document.getElementById(`builder-${located.field}-error`)?.scrollIntoView({ block: 'center' }));
    }
  };
  const snippet = embedSnippet(location.origin, bot.id);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(snippet);
      setCopied(true);
    } catch {
      (document.getElementById('snippet') as HTMLTextAreaElement | null)?.select();
    }
  };

  return (
    <div class="builder">
      <form class="builder-form" onSubmit={save} aria-label="Bot settings">
        <section class="card">
          <h2>Embed on your site</h2>
          <p class="muted">Paste this line before the closing &lt;/body&gt; tag of every page that should show the chat.</p>
          <textarea id="snippet" class="code" readOnly rows={2} value={snippet} aria-label="Embed snippet" onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={copy}>
            {copied ? 'Copied' : 'Copy snippet'}
          </button>
          <div class="field">
          <label>
            Allowed domains <span class="muted">(one per line)</span>
            <textarea rows={3} {...text('allowed_domains')} placeholder={'example.com\n*.example.com\nhttps://shop.example.com'} {...invalid('allowed_domains')} />
          </label>
          {fieldError('allowed_domains')}
          </div>
          {domainsNote ? (
            <p class="notice small" role="status">
              {domainsNote}
            </p>
          ) : null}
          <p class="muted small">
            Only pages on these sites can chat with the bot. With none, only this server's own pages (the playground and the demo page) can. Type a site
            the way you know it: <code>example.com</code> (any page of it, http or https), <code>*.example.com</code> (its subdomains),{' '}
            <code>localhost:8000</code>, or paste a page's address (only its site is kept).
          </p>
          <InstallationCheck
            botId={bot.id}
            onAddDomain={(domain) => set('allowed_domains', [...form.allowed_domains.split('\n').filter((line) => line.trim()), domain].join('\n'))}
          />
        </section>

        <section class="card">
          <h2>Bot</h2>
          <div class="field">
          <label>
            Name
            <input required maxLength={200} {...text('name')} {...invalid('name')} />
          </label>
          {fieldError('name')}
          </div>
          <div class="field">
          <label>
            Language <span class="muted">(e.g. en, de, fr, ar, he; right-to-left languages flip the widget)</span>
            <input maxLength={16} {...text('language')} {...invalid('language')} />
          </label>
          {fieldError('language')}
          </div>
          <div class="field">
          <label>
            Greeting
            <textarea rows={2} maxLength={2000} {...text('greeting')} {...invalid('greeting')} />
          </label>
          {fieldError('greeting')}
          </div>
          <div class="field">
          <label>
            Suggested questions <span class="muted">(one per line, up to 6)</span>
            <textarea rows={4} {...text('suggested_questions')} {...invalid('suggested_questions')} />
          </label>
          {fieldError('suggested_questions')}
          </div>
          <div class="field">
          <label>
            When the knowledge has no answer
            <textarea
              rows={2}
              maxLength={2000}
              {...text('fallback_message')}
              placeholder={form.handoff.enabled ? info.answering_defaults.fallback_message : info.answering_defaults.fallback_without_handoff}
              {...invalid('fallback_message')}
            />
          </label>
          {fieldError('fallback_message')}
          </div>
          <div class="field">
          <label>
            Synonyms <span class="muted">(words your visitors and your content use for the same thing: one group per line, separated by commas)</span>
            <textarea rows={3} {...text('synonyms')} placeholder="delivery, shipping, arrive" {...invalid('synonyms')} />
          </label>
          {fieldError('synonyms')}
          </div>
          <div class="field">
          <label>
            Persona <span class="muted">(used when an AI model writes the answers: see Model and routing)</span>
            <textarea rows={2} maxLength={8000} {...text('persona')} placeholder="A friendly, concise support assistant for …" {...invalid('persona')} />
          </label>
          {fieldError('persona')}
          </div>
          <div class="field">
          <label>
            Instructions <span class="muted">(used when an AI model writes the answers: see Model and routing)</span>
            <textarea rows={3} maxLength={8000} {...text('instructions')} placeholder="Answer only from our help centre. Keep answers under 100 words." {...invalid('instructions')} />
          </label>
          {fieldError('instructions')}
          </div>
        </section>

        <section class="card">
          <h2>Appearance</h2>
          <div class="row">
            <label>
              Brand colour
              <input type="color" value={form.primary_color} onInput={(e) => set('primary_color', e.currentTarget.value)} />
            </label>
            <label>
              Position
              <select value={form.position} onChange={(e) => set('position', e.currentTarget.value as BotForm['position'])}>
                <option value="right">Bottom right</option>
                <option value="left">Bottom left</option>
              </select>
            </label>
            <label>
              Text direction
              <select value={form.direction} onChange={(e) => set('direction', e.currentTarget.value as BotForm['direction'])}>
                <option value="auto">From the language</option>
                <option value="ltr">Left to right</option>
                <option value="rtl">Right to left</option>
              </select>
            </label>
          </div>
          {(['logo_url', 'avatar_url'] as const).map((key) => (
            <div class="row" key={key}>
              <div class="field grow">
              <label>
                {key === 'logo_url' ? 'Logo' : 'Bot avatar'} <span class="muted">(an https: address, or upload a small image)</span>
                <input type="url" value={form[key].startsWith('data:') ? '(uploaded image)' : form[key]} onInput={(e) => set(key, e.currentTarget.value)} placeholder="https://…" {...invalid(key)} />
              </label>
              {fieldError(key)}
              </div>
              <label>
                Upload
                <input type="file" accept="image/png,image/jpeg,image/gif,image/webp,image/svg+xml" onChange={pickImage(key)} />
              </label>
              {form[key] ? (
                <button type="button" onClick={() => set(key, '')}>
                  Remove
                </button>
              ) : null}
            </div>
          ))}
          <div class="field">
          <label>
            Open the chat by itself after <span class="muted">(seconds; 0 = never; only until the visitor has opened or closed it once)</span>
            <input type="number" min={0} max={3600} value={form.proactive_open_seconds} onInput={(e) => set('proactive_open_seconds', Number(e.currentTarget.value) || 0)} {...invalid('proactive_open_seconds')} />
          </label>
          {fieldError('proactive_open_seconds')}
          </div>
        </section>

        <section class="card">
          <h2>Texts visitors see</h2>
          <p class="muted small">Empty fields use the default shown in grey.</p>
          <div class="texts">
            {(Object.keys(TEXT_LABELS) as (keyof WidgetTexts)[]).map((key) => (
              <div class="field">
              <label key={key}>
                {TEXT_LABELS[key]}
                <input maxLength={500} value={form.texts[key] ?? ''} placeholder={info.text_defaults[key] || form.name} onInput={(e) => setText(key, e.currentTarget.value)} {...invalid(`texts.${key}`)} />
              </label>
              {fieldError(`texts.${key}`)}
              </div>
            ))}
          </div>
        </section>

        <AnsweringSection form={form} defaults={info.answering_defaults} set={(key, value) => set(key, value)} />
        <RoutingSection
          routing={form.routing}
          onChange={(routing) => set('routing', routing)}
          providers={info.providers}
          error={sectionError?.section === 'routing' ? sectionError.message : null}
        />
        <LeadFormSection
          leads={form.leads}
          onChange={(leads) => set('leads', leads)}
          emails={form.notification_emails}
          onEmailsChange={(emails) => set('notification_emails', emails)}
          error={sectionError?.section === 'leads' ? sectionError.message : null}
        />
        <HandoffSection handoff={form.handoff} onChange={(handoff) => set('handoff', handoff)} error={sectionError?.section === 'handoff' ? sectionError.message : null} />

        <div class="save-bar">
          <Alert message={error} />
          <Alert message={saved} kind="success" />
          <button class="primary" type="submit">
            Save changes
          </button>
        </div>
      </form>
      <aside class="preview" aria-label="Live preview">
        <h2>Live preview</h2>
        <WidgetPreview config={preview} />
      </aside>
    </div>
  );
}
