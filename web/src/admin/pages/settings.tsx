// The bot builder: every setting of the bot and its widget, a live preview, and the snippet to embed.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, errorMessage, type Bot } from '../api';
import { HANDOFF_EXAMPLE, LEADS_EXAMPLE, TEXT_LABELS, embedSnippet, formFromBot, patchFromForm, previewConfig, type BotForm } from '../settings-form';
import { Alert, ComingSoon, Loading } from '../ui';
import { WidgetPreview } from '../widget-preview';
import type { WidgetConfig, WidgetTexts } from '../../widget/config';

interface WidgetInfo {
  config: WidgetConfig;
  text_defaults: WidgetTexts;
}

const MAX_IMAGE_BYTES = 96 * 1024;

export function Settings({ bot, onSaved }: { bot: Bot; onSaved: (bot: Bot) => void }) {
  const [info, setInfo] = useState<WidgetInfo | null>(null);
  const [form, setForm] = useState<BotForm | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    api<WidgetInfo>('GET', `/bots/${bot.id}/widget`)
      .then((body) => {
        setInfo(body);
        setForm(formFromBot(bot.name, bot.settings, body.config));
      })
      .catch((failure) => setError(errorMessage(failure)));
  }, [bot.id]);

  const preview = useMemo(() => (form && info ? previewConfig(form, info.config, info.text_defaults) : null), [form, info]);
  if (!form || !info || !preview) return error ? <Alert message={error} /> : <Loading />;

  const set = <K extends keyof BotForm>(key: K, value: BotForm[K]) => {
    setSaved(null);
    setForm({ ...form, [key]: value });
  };
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
    try {
      const updated = await api<Bot>('PATCH', `/bots/${bot.id}`, patchFromForm(form));
      onSaved(updated);
      setSaved('Saved. Visitors see the changes within a minute.');
    } catch (failure) {
      setError(failure instanceof Error && !(failure instanceof ApiError) ? failure.message : errorMessage(failure));
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
          <label>
            Allowed domains <span class="muted">(one per line)</span>
            <textarea rows={3} {...text('allowed_domains')} placeholder={'example.com\n*.example.com\nhttps://shop.example.com'} />
          </label>
          <p class="muted small">
            Only pages on these sites can chat with the bot. With none, only this server's own pages (the playground and the demo page) can. Entries:
            <code> example.com</code> (any port, http or https), <code>*.example.com</code> (its subdomains), <code>https://shop.example.com:8443</code>.
          </p>
        </section>

        <section class="card">
          <h2>Bot</h2>
          <label>
            Name
            <input required maxLength={200} {...text('name')} />
          </label>
          <label>
            Language <span class="muted">(e.g. en, de, fr, ar, he; right-to-left languages flip the widget)</span>
            <input maxLength={16} {...text('language')} />
          </label>
          <label>
            Greeting
            <textarea rows={2} maxLength={2000} {...text('greeting')} />
          </label>
          <label>
            Suggested questions <span class="muted">(one per line, up to 6)</span>
            <textarea rows={4} {...text('suggested_questions')} />
          </label>
          <label>
            When the knowledge has no answer
            <textarea rows={2} maxLength={2000} {...text('fallback_message')} placeholder="I'm sorry, I couldn't find that in our help content. Would you like me to connect you with a person?" />
          </label>
          <label>
            Persona <span class="muted">(used by generative answers, once a model is configured)</span>
            <textarea rows={2} maxLength={8000} {...text('persona')} placeholder="A friendly, concise support assistant for …" />
          </label>
          <label>
            Instructions <span class="muted">(used by generative answers, once a model is configured)</span>
            <textarea rows={3} maxLength={8000} {...text('instructions')} placeholder="Answer only from our help centre. Keep answers under 100 words." />
          </label>
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
              <label class="grow">
                {key === 'logo_url' ? 'Logo' : 'Bot avatar'} <span class="muted">(an https: address, or upload a small image)</span>
                <input type="url" value={form[key].startsWith('data:') ? '(uploaded image)' : form[key]} onInput={(e) => set(key, e.currentTarget.value)} placeholder="https://…" />
              </label>
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
          <label>
            Open the chat by itself after <span class="muted">(seconds; 0 = never; only until the visitor has opened or closed it once)</span>
            <input type="number" min={0} max={3600} value={form.proactive_open_seconds} onInput={(e) => set('proactive_open_seconds', Number(e.currentTarget.value) || 0)} />
          </label>
        </section>

        <section class="card">
          <h2>Texts visitors see</h2>
          <p class="muted small">Empty fields use the default shown in grey.</p>
          <div class="texts">
            {(Object.keys(TEXT_LABELS) as (keyof WidgetTexts)[]).map((key) => (
              <label key={key}>
                {TEXT_LABELS[key]}
                <input maxLength={500} value={form.texts[key] ?? ''} placeholder={info.text_defaults[key] || form.name} onInput={(e) => setText(key, e.currentTarget.value)} />
              </label>
            ))}
          </div>
        </section>

        <section class="card">
          <h2>Answering</h2>
          <div class="row">
            <label>
              Curated answer match <span class="muted">(0–1)</span>
              <input type="number" step={0.01} min={0} max={1} value={form.faq_threshold} onInput={(e) => set('faq_threshold', Number(e.currentTarget.value))} />
            </label>
            <label>
              Minimum confidence to answer <span class="muted">(0–1)</span>
              <input type="number" step={0.01} min={0} max={1} value={form.answer_threshold} onInput={(e) => set('answer_threshold', Number(e.currentTarget.value))} />
            </label>
            <label>
              Sources per answer
              <input type="number" min={1} max={10} value={form.max_sources} onInput={(e) => set('max_sources', Number(e.currentTarget.value))} />
            </label>
          </div>
        </section>

        <ComingSoon title="Model and routing" issue="issue 5 (models and hybrid routing)">
          <label>
            Model <select><option>None: curated and extractive answers</option></select>
          </label>
          <label>
            Spill to a remote provider <select><option>Never</option></select>
          </label>
        </ComingSoon>
        <section class="card">
          <h2>Lead form</h2>
          <p class="muted small">
            The fields visitors fill in (name, email, phone, company, or your own with a type), which are required, the consent text, and when the form
            shows: before the chat, after some messages, on buying intent, when the bot cannot answer, on request. Empty: no form. See the example in the
            box.
          </p>
          <label>
            Lead form settings (JSON)
            <textarea class="code" rows={10} spellcheck={false} value={form.leads} placeholder={LEADS_EXAMPLE} onInput={(e) => set('leads', e.currentTarget.value)} />
          </label>
        </section>
        <section class="card">
          <h2>Handoff to a person</h2>
          <p class="muted small">
            Visitors can always ask for a person in words; with settings here the widget also shows a "Talk to a person" button. Business hours (in the
            time zone given) and how long to wait for an agent before offering the lead form. Agents answer in the Inbox.
          </p>
          <label>
            Handoff settings (JSON)
            <textarea class="code" rows={8} spellcheck={false} value={form.handoff} placeholder={HANDOFF_EXAMPLE} onInput={(e) => set('handoff', e.currentTarget.value)} />
          </label>
        </section>

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
