import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contrastingText, safeImageUrl, type WidgetConfig } from '../../../web/src/widget/config';
import { retryDelayMs } from '../../../web/src/widget/retry';
import { loadCachedConfig, loadState, saveCachedConfig, saveState } from '../../../web/src/widget/storage';
import { ChatWidget } from '../../../web/src/widget/widget';

const config: WidgetConfig = {
  bot_id: 'bot_1', name: 'Shop', language: 'en', direction: 'ltr', greeting: 'Hi! Ask me anything.',
  suggested_questions: ['How much is shipping?'], primary_color: '#1f6f5c', position: 'right', logo_url: '',
  avatar_url: '', proactive_open_seconds: 0, max_message_chars: 4000,
  texts: {
    title: 'Shop help', subtitle: 'Fast answers', launcher: 'Chat with us', placeholder: 'Your question', send: 'Send',
    close: 'Close chat', restart: 'Restart', sources: 'Sources', thumbs_up: 'Helpful', thumbs_down: 'Not helpful',
    feedback_thanks: 'Thanks!', thinking: 'Thinking', error: 'Error', offline: 'Offline', not_allowed: 'Not allowed',
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

describe('widget helpers', () => {
  it('remembers the visitor token per bot', () => {
    expect(loadState('bot_1')).toEqual({ token: null, seen: false });
    saveState('bot_1', { token: 'conv_1.mac', seen: true });
    expect(loadState('bot_1')).toEqual({ token: 'conv_1.mac', seen: true });
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
