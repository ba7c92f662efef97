import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contrastingText, safeImageUrl, type WidgetConfig } from '../../../web/src/widget/config';
import { retryDelayMs } from '../../../web/src/widget/retry';
import { loadCachedConfig, loadState, saveCachedConfig, saveState } from '../../../web/src/widget/storage';
import { ChatClient } from '../../../web/src/shared/chat-client';
import { buildLeadForm, checkField, phoneCountry, phoneHint } from '../../../web/src/widget/lead-form';
import { ChatWidget } from '../../../web/src/widget/widget';
import { xhrFromFetch } from './xhr';

const config: WidgetConfig = {
  bot_id: 'bot_1', name: 'Shop', language: 'en', direction: 'ltr', greeting: 'Hi! Ask me anything.',
  suggested_questions: ['How much is shipping?'], primary_color: '#1f6f5c', position: 'right', logo_url: '',
  avatar_url: '', proactive_open_seconds: 0, max_message_chars: 4000,
  texts: {
    title: 'Shop help', subtitle: 'Fast answers', launcher: 'Chat with us', placeholder: 'Your question', send: 'Send',
    close: 'Close chat', restart: 'Restart', sources: 'Sources', thumbs_up: 'Helpful', thumbs_down: 'Not helpful',
    feedback_thanks: 'Thanks!', thinking: 'Thinking', error: 'Error', offline: 'Offline', busy: 'Busy', not_allowed: 'Not allowed',
    talk_to_person: 'Talk to a person', leave_details: 'Leave your details', lead_intro: 'Your details', lead_submit: 'Send details',
    lead_skip: 'Not now', lead_thanks: 'Thank you!', field_required: 'Required', field_invalid: 'Invalid',
    phone_hint: 'Without a country code, we read it as a number in {country}.', phone_code_needed: 'Start with your country code.',
  },
};

function mount(overrides: Partial<WidgetConfig> = {}, preview = false) {
  const host = document.createElement('div');
  document.body.append(host);
  const shadow = host.attachShadow({ mode: 'open' });
  const widget = new ChatWidget(shadow, { ...config, ...overrides }, { preview });
  return { shadow, widget };
}

describe('ChatWidget', () => {
  beforeEach(() => {
    document.body.replaceChildren();
    localStorage.clear();
  });

  it('shows the configured texts, greeting and suggestions with ARIA roles', () => {
    const { shadow } = mount();
    const launcher = shadow.querySelector('.launcher')!;
    expect(launcher.textContent).toBe('Chat with us');
    expect(launcher.getAttribute('aria-expanded')).toBe('false');
    const panel = shadow.querySelector('[role=dialog]')!;
    expect(panel.getAttribute('aria-label')).toBe('Shop help');
    expect(shadow.querySelector('[role=log]')!.textContent).toContain('Hi! Ask me anything.');
    expect(shadow.querySelector('.suggestions button')!.textContent).toBe('How much is shipping?');
    expect(shadow.querySelector('textarea')!.getAttribute('aria-label')).toBe('Your question');
  });

  it('opens from the launcher, closes on Escape and gives focus back', () => {
    const { shadow } = mount();
    const launcher = shadow.querySelector<HTMLButtonElement>('.launcher')!;
    const panel = shadow.querySelector<HTMLElement>('.panel')!;
    launcher.click();
    expect(panel.hidden).toBe(false);
    expect(launcher.getAttribute('aria-expanded')).toBe('true');
    expect(shadow.activeElement).toBe(shadow.querySelector('textarea'));
    panel.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect(panel.hidden).toBe(true);
    expect(shadow.activeElement).toBe(launcher);
  });

  it('lays out right-to-left and on the chosen side', () => {
    const { shadow } = mount({ direction: 'rtl', language: 'he', position: 'left' });
    const root = shadow.querySelector<HTMLElement>('.root')!;
    expect(root.getAttribute('dir')).toBe('rtl');
    expect(root.getAttribute('lang')).toBe('he');
    expect(root.dataset.position).toBe('left');
  });

  it('applies a new configuration in place (the live preview)', () => {
    const { shadow, widget } = mount({}, true);
    expect(shadow.querySelector<HTMLElement>('.panel')!.hidden).toBe(false);
    widget.setConfig({ ...config, texts: { ...config.texts, launcher: 'Ask us', send: 'Go' }, primary_color: '#ffee00' });
    expect(shadow.querySelector('.launcher')!.textContent).toBe('Ask us');
    expect(shadow.querySelector('.send')!.textContent).toBe('Go');
    expect(shadow.querySelector<HTMLElement>('.root')!.style.getPropertyValue('--pw-on-brand')).toBe('#111111');
  });

  describe('proactive open', () => {
    afterEach(() => vi.useRealTimers());

    it('opens by itself after the configured delay, once', async () => {
      vi.useFakeTimers();
      const { shadow, widget } = mount({ proactive_open_seconds: 5 });
      await widget.start();
      const panel = shadow.querySelector<HTMLElement>('.panel')!;
      vi.advanceTimersByTime(4900);
      expect(panel.hidden).toBe(true);
      vi.advanceTimersByTime(200);
      expect(panel.hidden).toBe(false);
      expect(loadState('bot_1').seen).toBe(true);
    });

    it('stays closed for a visitor who has already opened or closed it', async () => {
      vi.useFakeTimers();
      saveState('bot_1', { token: null, seen: true });
      const { shadow, widget } = mount({ proactive_open_seconds: 1 });
      await widget.start();
      vi.advanceTimersByTime(5000);
      expect(shadow.querySelector<HTMLElement>('.panel')!.hidden).toBe(true);
    });
  });

  it('never shows an image from an unsafe address', () => {
    const { shadow } = mount({ logo_url: 'javascript:alert(1)', avatar_url: 'http://tracker.example/a.png' });
    expect(shadow.querySelector('img')).toBeNull();
    expect(safeImageUrl('https://cdn.example/logo.png')).toBe('https://cdn.example/logo.png');
    expect(safeImageUrl('data:image/png;base64,AAAA')).toBe('data:image/png;base64,AAAA');
    expect(safeImageUrl('data:text/html;base64,AAAA')).toBe('');
  });
});

describe('the lead form', () => {
  const leadForm = {
    fields: [
      { name: 'name', label: '', type: 'text' as const, required: true },
      { name: 'email', label: 'Work email', type: 'email' as const, required: true },
      { name: 'phone', label: '', type: 'phone' as const, required: false },
    ],
    consent: 'You may contact me', before_chat: false, after_messages: 0, on_request: true,
  };
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

  function mountWithForm(overrides: Partial<WidgetConfig> = {}) {
    const host = document.createElement('div');
    document.body.append(host);
    const shadow = host.attachShadow({ mode: 'open' });
    const widget = new ChatWidget(shadow, { ...config, lead_form: leadForm, ...overrides }, {
      client: new ChatClient('http://parley.test', 'bot_1'),
      loadLeadForm: async () => buildLeadForm,
    });
    return { shadow, widget };
  }
  const fill = (shadow: ShadowRoot, name: string, value: string) => {
    const input = shadow.querySelector<HTMLInputElement>(`.lead-form [name=${name}]`)!;
    input.value = value;
  };
  const submit = (shadow: ShadowRoot) => shadow.querySelector<HTMLFormElement>('.lead-form')!.requestSubmit();
  const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

  beforeEach(() => {
    document.body.replaceChildren();
    localStorage.clear();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    localStorage.clear();
  });

  it("reads a phone number without its code in the bot's country, else the visitor's browser's, and says so", () => {
    expect(phoneCountry('DE', ['en-US'])).toBe('DE');
    expect(phoneCountry('', ['en-US', 'en'])).toBe('US');
    expect(phoneCountry(undefined, ['de', 'fr-CA'])).toBe('CA');
    expect(phoneCountry('', ['zh-Hant-TW'])).toBe('TW');
    expect(phoneCountry('', ['en', 'es-419'])).toBe('');
    expect(phoneHint('US', 'en', config.texts)).toBe('Without a country code, we read it as a number in United States.');
    expect(phoneHint('', 'en', config.texts)).toBe('Start with your country code.');
    vi.stubGlobal('navigator', { ...navigator, languages: ['en-GB'], language: 'en-GB' });
    const { shadow, widget } = mountWithForm();
    return widget.showLeadForm('request').then(() => {
      const hint = shadow.querySelector('#pw-lead-phone-hint')!;
      expect(hint.textContent).toBe('Without a country code, we read it as a number in United Kingdom.');
      expect(shadow.querySelector('[name=phone]')!.getAttribute('aria-describedby')).toBe('pw-lead-phone-error pw-lead-phone-hint');
    });
  });

  it('checks what the browser can before sending', () => {
    const email = leadForm.fields[1];
    expect(checkField(email, '')).toBe('required');
    expect(checkField(email, 'ann@')).toBe('invalid');
    expect(checkField(email, ' ann@example.com ')).toBeNull();
    expect(checkField(leadForm.fields[2], '')).toBeNull();
    expect(checkField(leadForm.fields[2], 'call me')).toBe('invalid');
    expect(checkField(leadForm.fields[2], '+1 (650) 253-0000')).toBeNull();
    expect(checkField({ name: 'size', label: '', type: 'number', required: false }, '12x')).toBe('invalid');
    expect(checkField({ name: 'ok', label: '', type: 'checkbox', required: true }, false)).toBe('required');
  });

  it('names every missing field without sending, then shows the server\'s answer per field, then thanks', async () => {
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    const { shadow, widget } = mountWithForm();
    await widget.showLeadForm('request');
    const form = shadow.querySelector('.lead-form')!;
    expect(form.textContent).toContain('Name *');
    expect(form.textContent).toContain('Work email *');
    expect(form.textContent).toContain('You may contact me');
    submit(shadow);
    expect(fetch).not.toHaveBeenCalled();
    expect(shadow.querySelector('#pw-lead-name-error')!.textContent).toBe('Required');
    expect(shadow.querySelector('#pw-lead-consent-error')!.textContent).toBe('Required');
    expect(shadow.querySelector('[name=name]')!.getAttribute('aria-invalid')).toBe('true');

    fill(shadow, 'name', 'Ann');
    fill(shadow, 'email', 'ann@example.com');
    fill(shadow, 'phone', '+1 555');
    shadow.querySelector<HTMLInputElement>('[name=consent]')!.checked = true;
    fetch.mockResolvedValueOnce(json(400, { error: { code: 'invalid_request', message: 'some fields need fixing', fields: { phone: 'this phone number is not valid' } } }));
    submit(shadow);
    await flush();
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('http://parley.test/api/v1/bots/bot_1/leads');
    // The country of the visitor's browser language (jsdom's: en-US) goes along for numbers without a code.
    expect(JSON.parse(init.body)).toEqual({ fields: { name: 'Ann', email: 'ann@example.com', phone: '+1 555' }, consent: true, trigger: 'request', visitor_token: null, country: 'US' });
    expect(shadow.querySelector('#pw-lead-phone-error')!.textContent).toBe('this phone number is not valid');
    expect(shadow.querySelector('#pw-lead-name-error')!.textContent).toBe('');

    fill(shadow, 'phone', '+16502530000');
    fetch.mockResolvedValueOnce(json(201, { lead_id: 'lead_1', created: true, conversation_id: 'c1', visitor_token: 'c1.mac' }));
    submit(shadow);
    await flush();
    expect(shadow.querySelector('.lead-form')).toBeNull();
    expect(shadow.querySelector('[role=log]')!.textContent).toContain('Thank you!');
    expect(loadState('bot_1')).toMatchObject({ token: 'c1.mac', lead: true });
  });

  it('comes first when it is set before the chat; "not now" lets the visitor chat and is remembered', async () => {
    const { shadow, widget } = mountWithForm({ lead_form: { ...leadForm, before_chat: true } });
    widget.open();
    await flush();
    expect(shadow.querySelector('.lead-form')).not.toBeNull();
    const composer = shadow.querySelector<HTMLFormElement>('form:not(.lead-form)')!;
    expect(composer.hidden).toBe(true);
    shadow.querySelector<HTMLButtonElement>('.lead-form .skip')!.click();
    expect(shadow.querySelector('.lead-form')).toBeNull();
    expect(composer.hidden).toBe(false);
    expect(loadState('bot_1').lead).toBe(true);
    widget.close();
    widget.open();
    await flush();
    expect(shadow.querySelector('.lead-form')).toBeNull();
  });

  it('shows the buttons the bot has: a person, and the form on request', () => {
    const { shadow } = mountWithForm({ handoff: true });
    const labels = [...shadow.querySelectorAll('.actions button')].map((button) => button.textContent);
    expect(labels).toEqual(['Talk to a person', 'Leave your details']);
    const plain = mount();
    expect(plain.shadow.querySelectorAll('.actions button')).toHaveLength(0);
  });

  it('opens the form when the answer says so (buying intent) and after the set number of messages', async () => {
    const sse = (done: Record<string, unknown>) => new Response(
      'event: delta\ndata: {"text":"Plans start at $10."}\n\n' + 'event: sources\ndata: {"sources":[]}\n\n' +
      `event: done\ndata: ${JSON.stringify({ mode: 'extractive', confidence: 0.9, conversation_id: 'c1', message_id: 2, visitor_token: 'c1.mac', latency_ms: 3, ...done })}\n\n`,
      { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    const fetch = vi.fn(async () => sse({ lead_form_trigger: 'buying_intent' }));
    vi.stubGlobal('fetch', fetch);
    vi.stubGlobal('XMLHttpRequest', xhrFromFetch());
    const first = mountWithForm();
    await first.widget.ask('How much is it?');
    await flush();
    expect(first.shadow.querySelector('.lead-form')).not.toBeNull();

    document.body.replaceChildren();
    localStorage.clear();
    fetch.mockImplementation(async () => sse({}));
    const second = mountWithForm({ lead_form: { ...leadForm, after_messages: 2 } });
    await second.widget.ask('Hello');
    await flush();
    expect(second.shadow.querySelector('.lead-form')).toBeNull();
    await second.widget.ask('Anything else?');
    await flush();
    expect(second.shadow.querySelector('.lead-form')).not.toBeNull();
  });
});

describe('widget helpers', () => {
  it('remembers the visitor token per bot', () => {
    expect(loadState('bot_1')).toEqual({ token: null, seen: false, lead: false });
    saveState('bot_1', { token: 'conv_1.mac', seen: true });
    expect(loadState('bot_1')).toEqual({ token: 'conv_1.mac', seen: true, lead: false });
    saveState('bot_1', { token: 'conv_1.mac', seen: true, lead: true });
    expect(loadState('bot_1').lead).toBe(true);
    expect(loadState('bot_2').token).toBeNull();
    localStorage.setItem('parley:bot_3', '{not json');
    expect(loadState('bot_3')).toEqual({ token: null, seen: false });
  });

  it('caches the configuration for the next page, and forgets it when refused', () => {
    expect(loadCachedConfig('bot_1')).toBeNull();
    saveCachedConfig('bot_1', config);
    expect(loadCachedConfig<WidgetConfig>('bot_1')?.texts.launcher).toBe('Chat with us');
    saveCachedConfig('bot_1', null);
    expect(loadCachedConfig('bot_1')).toBeNull();
  });

  it('backs off from 1 s to at most 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('picks a readable text colour for the brand colour', () => {
    expect(contrastingText('#1f6f5c')).toBe('#ffffff');
    expect(contrastingText('#ffee00')).toBe('#111111');
    expect(contrastingText('nonsense')).toBe('#ffffff');
  });
});

describe('ChatWidget under load', () => {
  const answer = () => new Response(
    'event: delta\ndata: {"text":"Shipping is free over $75."}\n\n' + 'event: sources\ndata: {"sources":[]}\n\n' +
    'event: done\ndata: {"mode":"faq","confidence":0.9,"conversation_id":"c1","message_id":2,"visitor_token":"c1.mac","latency_ms":3}\n\n',
    { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  // What the server answers past capacity (http/server.cpp) and to a visitor over their rate limit (api/protection.cpp).
  const shed = () => new Response('{"error":{"code":"unavailable","message":"the server is over capacity; retry in a second"}}',
    { status: 503, headers: { 'Retry-After': '1' } });
  const limited = () => new Response('{"error":{"code":"rate_limited","message":"too many messages; retry in 1 s"}}',
    { status: 429, headers: { 'Retry-After': '1' } });
  function mountClient() {
    const host = document.createElement('div');
    document.body.append(host);
    const shadow = host.attachShadow({ mode: 'open' });
    const widget = new ChatWidget(shadow, config, { preview: false, client: new ChatClient('http://parley.test', 'bot_1') });
    return { shadow, widget };
  }
  const lastAnswer = (shadow: ShadowRoot) => [...shadow.querySelectorAll('.msg.bot')].at(-1)?.textContent ?? '';
  const status = (shadow: ShadowRoot) => shadow.querySelector('.status')!.textContent;

  beforeEach(() => {
    document.body.replaceChildren();
    localStorage.clear();
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });

  it('says the server is busy and asks the same question again after the back-off, then shows the answer', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // the middle of the spread: the back-off itself
    const fetch = vi.fn().mockResolvedValueOnce(shed()).mockResolvedValueOnce(shed()).mockImplementation(async () => answer());
    vi.stubGlobal('fetch', fetch);
    vi.stubGlobal('XMLHttpRequest', xhrFromFetch());
    const { shadow, widget } = mountClient();
    const asked = widget.ask('How much is shipping?');
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(status(shadow)).toBe('Busy');
    await vi.advanceTimersByTimeAsync(999);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(2000);
    await asked;
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(fetch.mock.calls.every(([, init]) => JSON.parse(init.body).message === 'How much is shipping?')).toBe(true);
    expect(status(shadow)).toBe('');
    expect(lastAnswer(shadow)).toContain('Shipping is free over $75.');
    expect(shadow.querySelectorAll('.msg.user')).toHaveLength(1);
  });

  it('spreads the waits of visitors refused together over half to one and a half times the back-off', async () => {
    const fetch = vi.fn().mockResolvedValueOnce(shed()).mockImplementation(async () => answer());
    vi.stubGlobal('fetch', fetch);
    vi.stubGlobal('XMLHttpRequest', xhrFromFetch());
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const early = mountClient().widget.ask('How much is shipping?');
    await vi.advanceTimersByTimeAsync(500);
    await early;
    expect(fetch).toHaveBeenCalledTimes(2);
    fetch.mockReset();
    fetch.mockResolvedValueOnce(shed()).mockImplementation(async () => answer());
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const late = mountClient().widget.ask('How much is shipping?');
    await vi.advanceTimersByTimeAsync(1498);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2);
    await late;
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('shows the error for a refusal that is not about load', async () => {
    const fetch = vi.fn(async () => limited());
    vi.stubGlobal('fetch', fetch);
    vi.stubGlobal('XMLHttpRequest', xhrFromFetch());
    const { shadow, widget } = mountClient();
    await widget.ask('How much is shipping?');
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(lastAnswer(shadow)).toContain('Error');
    expect(status(shadow)).toBe('');
  });
});
