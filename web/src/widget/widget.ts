// The chat widget: a launcher button and a chat panel, built with plain DOM inside a shadow root (the widget must
// stay small, so no framework). Used by widget.js on a business's site and, in preview mode, by the admin app's
// bot builder.
import { ChatClient, ChatError, type AnswerDone, type Source } from '../shared/chat-client';
import { renderMarkdown } from '../shared/markdown';
import { contrastingText, safeImageUrl, type WidgetConfig } from './config';
import { waitToRetry } from './retry';
import { loadState, saveState, type VisitorState } from './storage';
import { WIDGET_CSS } from './styles';
import { addStyles, el } from './dom';
import type { LeadFormBuilder } from './lead-form';

const SVG_NS = 'http://www.w3.org/2000/svg';
function icon(path: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const shape = document.createElementNS(SVG_NS, 'path');
  shape.setAttribute('d', path);
  svg.append(shape);
  return svg;
}
const ICONS = {
  chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z',
  close: 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z',
  restart: 'M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z',
  up: 'M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6c-.4.4-.6.9-.6 1.4V19a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z',
};

export interface HistoryMessage {
  id: number;
  role: string;
  text: string;
  author?: string;
  sources?: Source[];
  rating?: number;
}

export interface WidgetOptions {
  // Preview mode (the bot builder): always open, sample messages, nothing is sent.
  preview?: boolean;
  client?: ChatClient;
  // The lead form's code, loaded when the form is first shown (widget.js: a script of its own; see main.ts).
  loadLeadForm?: () => Promise<LeadFormBuilder>;
}

interface BotMessage {
  node: HTMLElement;
  body: HTMLElement;
  text: string;
}

export class ChatWidget {
  private readonly root: HTMLDivElement;
  private readonly launcher: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private readonly log: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private readonly suggestions: HTMLDivElement;
  private readonly actions: HTMLDivElement;
  private readonly composer: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private config!: WidgetConfig;
  private state: VisitorState;
  private busy = false;
  // While a person has the conversation: their replies and notices arrive on this stream.
  private live: EventSource | null = null;
  private readonly shownLive = new Set<number>();
  // The lead form in the log (or being loaded): one at a time.
  private leadForm: HTMLElement | null = null;

  constructor(
    shadow: ShadowRoot,
    config: WidgetConfig,
    private readonly options: WidgetOptions = {},
  ) {
    this.state = options.preview ? { token: null, seen: true } : loadState(config.bot_id);
    addStyles(shadow, WIDGET_CSS);
    this.launcher = el('button', { type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'pw-panel', onclick: () => this.toggle() });
    this.log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions text' });
    this.status = el('div', { class: 'status', role: 'status' });
    this.suggestions = el('div', { class: 'suggestions' });
    this.actions = el('div', { class: 'suggestions actions' });
    this.input = el('textarea', { rows: 1, onkeydown: ((event: KeyboardEvent) => this.onInputKey(event)) as EventListener });
    this.sendButton = el('button', { type: 'submit', class: 'send' });
    this.composer = el('form', { onsubmit: ((event: Event) => this.onSubmit(event)) as EventListener }, this.input, this.sendButton);
    this.panel = el('section', { class: 'panel', id: 'pw-panel', role: 'dialog', hidden: true, onkeydown: ((event: KeyboardEvent) => this.onPanelKey(event)) as EventListener },
      el('div', { class: 'head' }), this.log, this.status, this.suggestions, this.actions, this.composer);
    this.root = el('div', { class: options.preview ? 'root preview' : 'root' }, this.panel, this.launcher);
    shadow.append(this.root);
    this.setConfig(config);
    if (options.preview) this.showPreview();
  }

  // Applies a (new) configuration: texts, colours, position, direction. The conversation stays.
  setConfig(config: WidgetConfig): void {
    this.config = config;
    const t = config.texts;
    this.root.style.setProperty('--pw-brand', config.primary_color);
    this.root.style.setProperty('--pw-on-brand', contrastingText(config.primary_color));
    this.root.dataset.position = config.position;
    this.root.setAttribute('dir', config.direction);
    this.root.setAttribute('lang', config.language);
    this.launcher.replaceChildren(icon(ICONS.chat), el('span', { text: t.launcher }));
    this.panel.setAttribute('aria-label', t.title);
    const logo = safeImageUrl(config.logo_url);
    this.panel.firstElementChild!.replaceWith(el('div', { class: 'head' },
      ...(logo ? [el('img', { src: logo, alt: '' })] : []),
      el('div', { class: 'titles' }, el('h2', { text: t.title }), el('p', { text: t.subtitle })),
      el('button', { type: 'button', class: 'icon', 'aria-label': t.restart, title: t.restart, onclick: () => this.restart() }, icon(ICONS.restart)),
      el('button', { type: 'button', class: 'icon', 'aria-label': t.close, title: t.close, onclick: () => this.close() }, icon(ICONS.close))));
    this.input.placeholder = t.placeholder;
    this.input.setAttribute('aria-label', t.placeholder);
    this.input.maxLength = config.max_message_chars;
    this.sendButton.textContent = t.send;
    if (!this.log.firstChild || this.log.firstElementChild?.classList.contains('greeting')) this.showGreeting();
    this.showSuggestions(!this.hasConversation());
    // "Talk to a person" for bots with handoff settings, "Leave your contact details" for forms shown on request.
    this.actions.replaceChildren(
      ...(config.handoff ? [el('button', { type: 'button', text: t.talk_to_person, onclick: () => void this.requestPerson() })] : []),
      ...(config.lead_form?.on_request ? [el('button', { type: 'button', text: t.leave_details, onclick: () => void this.showLeadForm('request') })] : []));
  }

  // Restores the visitor's conversation and arms the proactive open; the widget is usable before this resolves.
  async start(): Promise<void> {
    const delay = this.config.proactive_open_seconds;
    if (delay > 0 && !this.state.seen) {
      setTimeout(() => {
        if (!this.state.seen) this.open(false);
      }, delay * 1000);
    }
    if (this.state.token) await this.restore();
  }

  open(focus = true): void {
    this.panel.hidden = false;
    this.launcher.setAttribute('aria-expanded', 'true');
    this.remember({ seen: true });
    this.scrollToEnd();
    if (focus) this.input.focus();
    if (this.config.lead_form?.before_chat && !this.hasConversation()) void this.offerLeadForm('before_chat');
  }

  close(): void {
    if (this.options.preview) return;
    this.panel.hidden = true;
    this.launcher.setAttribute('aria-expanded', 'false');
    this.launcher.focus();
  }

  toggle(): void {
    if (this.panel.hidden) this.open();
    else this.close();
  }

  // Sends a question and streams the answer in; after a network failure waits and tries again.
  async ask(question: string): Promise<void> {
    const text = question.trim();
    if (!text || this.busy || !this.options.client) return;
    this.busy = true;
    this.sendButton.disabled = true;
    this.showSuggestions(false);
    this.addUserMessage(text);
    const answer = this.addBotMessage('');
    answer.body.classList.add('typing');
    answer.body.setAttribute('aria-label', this.config.texts.thinking);
    for (let attempt = 0; ; attempt++) {
      let received = false;
      try {
        await this.options.client.ask(text, this.state.token, {
          onDelta: (delta) => {
            if (!received) performance.mark('parley:first-delta-received');
            received = true;
            this.appendDelta(answer, delta);
          },
          onReset: () => this.resetAnswer(answer),
          onSources: (sources) => this.showSources(answer, sources),
          onDone: (done) => this.finishAnswer(answer, done),
        });
        this.setStatus('');
        break;
      } catch (error) {
        const status = error instanceof ChatError ? error.status : -1;
        if (status === 401 && this.state.token && !received) {
          // The server no longer accepts the conversation's token: the message starts a new conversation.
          this.remember({ token: null });
          continue;
        }
        // A server past capacity refuses (503) before it keeps anything of the message: asked again like a lost
        // connection, with its own notice.
        const busy = status === 503;
        if (!busy && (error as ChatError).code !== 'network') {
          this.failAnswer(answer, status === 403 ? this.config.texts.not_allowed : this.config.texts.error);
          break;
        }
        this.setStatus(busy ? this.config.texts.busy : this.config.texts.offline);
        await waitToRetry(attempt);
        if (received && this.state.token) {
          // The server has the answer already: load the conversation instead of asking twice.
          if (await this.restore()) {
            answer.node.remove();
            this.setStatus('');
            break;
          }
        }
        answer.text = '';
        answer.body.replaceChildren();
        answer.body.classList.add('typing');
      }
    }
    this.busy = false;
    this.sendButton.disabled = false;
    const after = this.config.lead_form?.after_messages ?? 0;
    if (after > 0 && this.log.querySelectorAll('.msg.user').length >= after) void this.offerLeadForm('after_messages');
  }

  // The "talk to a person" button: the conversation (a new one when there is none) waits for an agent.
  async requestPerson(): Promise<void> {
    if (!this.options.client) return;
    try {
      const outcome = await this.options.client.requestPerson(this.state.token);
      this.remember({ token: outcome.visitor_token });
      this.showSuggestions(false);
      if (outcome.text) this.addLiveMessage({ id: 0, role: 'system', text: outcome.text });
      if (outcome.offer_lead_form) void this.offerLeadForm('handoff');
      if (outcome.status === 'waiting_for_agent' || outcome.status === 'with_agent') this.listen();
    } catch {
      this.setStatus(this.config.texts.error);
    }
  }

  // Shows the lead form by a trigger the visitor did not ask for, unless they have answered it already.
  private offerLeadForm(trigger: string): Promise<void> {
    return this.state.lead ? Promise.resolve() : this.showLeadForm(trigger);
  }

  // The lead form, at the end of the conversation, its code loaded the first time. Before the chat the message box
  // waits until the form is sent or put off.
  async showLeadForm(trigger: string): Promise<void> {
    const form = this.config.lead_form;
    const { client, loadLeadForm } = this.options;
    if (!form || !client || !loadLeadForm || this.leadForm) return;
    const placeholder = el('div');
    this.leadForm = placeholder;
    let build: LeadFormBuilder;
    try {
      build = await loadLeadForm();
    } catch {
      this.leadForm = null;
      this.setStatus(this.config.texts.error);
      return;
    }
    if (this.leadForm !== placeholder) return;  // restarted meanwhile
    const finish = (node: Node | null) => {
      this.leadForm = null;
      this.composer.hidden = false;
      if (node) shown.replaceWith(node);
      else shown.remove();
      this.input.focus();
    };
    const shown = build({
      shadow: this.root.getRootNode() as ShadowRoot,
      language: this.config.language,
      client,
      form,
      texts: this.config.texts,
      trigger,
      visitorToken: this.state.token,
      onSent: (token) => {
        this.remember({ token, lead: true });
        finish(el('div', { class: 'msg bot notice' }, el('div', { class: 'bubble', text: this.config.texts.lead_thanks })));
      },
      onSkip: trigger === 'before_chat' ? () => {
        this.remember({ lead: true });
        finish(null);
      } : undefined,
    });
    this.leadForm = shown;
    this.composer.hidden = trigger === 'before_chat';
    this.log.append(shown);
    this.scrollToEnd();
    shown.querySelector<HTMLElement>('input,textarea,select')?.focus();
  }

  // ---- internals ----

  private remember(change: Partial<VisitorState>): void {
    this.state = { ...this.state, ...change };
    if (!this.options.preview) saveState(this.config.bot_id, this.state);
  }

  private hasConversation(): boolean {
    return this.log.querySelector('.msg:not(.greeting)') !== null;
  }

  private onSubmit(event: Event): void {
    event.preventDefault();
    const text = this.input.value;
    if (!text.trim() || this.busy) return;
    this.input.value = '';
    void this.ask(text);
  }

  private onInputKey(event: KeyboardEvent): void {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.input.form?.requestSubmit();
    }
  }

  private onPanelKey(event: KeyboardEvent): void {
    if (event.key === 'Escape') {
      event.stopPropagation();
      this.close();
    }
  }

  private restart(): void {
    if (this.options.preview) return;
    this.remember({ token: null });
    this.stopLive();
    this.leadForm = null;
    this.composer.hidden = false;
    this.log.replaceChildren();
    this.showGreeting();
    this.showSuggestions(true);
    this.input.focus();
  }

  private async restore(): Promise<boolean> {
    if (!this.options.client || !this.state.token) return false;
    try {
      const history = await this.options.client.conversation<{ messages: HistoryMessage[]; visitor_token?: string }>(this.state.token);
      // The server renews the token whenever the conversation is used (an idle one expires).
      if (history.visitor_token) this.remember({ token: history.visitor_token });
      const form = this.leadForm?.isConnected ? this.leadForm : null;  // an open lead form stays, at the end
      this.log.replaceChildren();
      this.showGreeting();
      let withPerson = false;
      for (const message of history.messages) {
        if (message.role === 'user') this.addUserMessage(message.text);
        else if (message.role === 'agent' || message.role === 'system') {
          this.addLiveMessage(message);
          withPerson = true;
        } else {
          const answer = this.addBotMessage(message.text);
          this.showSources(answer, message.sources ?? []);
          this.addFeedback(answer, message.id, message.rating ?? 0);
        }
      }
      if (form) this.log.append(form);
      this.showSuggestions(!this.hasConversation());
      // A person may still have it: the stream's first event says (and closes the stream when not).
      if (withPerson) this.listen();
      return true;
    } catch (error) {
      // A token the server no longer accepts starts a new conversation; a network failure keeps it for later.
      if (error instanceof ChatError && error.code !== 'network') this.remember({ token: null });
      return false;
    }
  }

  private showGreeting(): void {
    this.log.querySelector('.greeting')?.remove();
    if (!this.config.greeting) return;
    const greeting = this.addBotMessage(this.config.greeting);
    greeting.node.classList.add('greeting');
    this.log.prepend(greeting.node);
  }

  private showSuggestions(visible: boolean): void {
    const questions = visible ? this.config.suggested_questions : [];
    this.suggestions.replaceChildren(...questions.map((question) =>
      el('button', { type: 'button', text: question, onclick: () => void this.ask(question) })));
  }

  private showPreview(): void {
    this.open(false);
    const sample = this.config.suggested_questions[0];
    if (sample) this.addUserMessage(sample);
  }

  private addUserMessage(text: string): void {
    this.log.append(el('div', { class: 'msg user' }, el('div', { class: 'bubble', text })));
    this.scrollToEnd();
  }

  private addBotMessage(text: string): BotMessage {
    const body = el('div', { class: 'bubble' });
    const avatarUrl = safeImageUrl(this.config.avatar_url);
    const node = el('div', { class: 'msg bot' }, ...(avatarUrl ? [el('img', { class: 'avatar', src: avatarUrl, alt: '' })] : []), el('div', {}, body));
    const message: BotMessage = { node, body, text };
    if (text) body.replaceChildren(renderMarkdown(text));
    this.log.append(node);
    this.scrollToEnd();
    return message;
  }

  private resetAnswer(message: BotMessage): void {
    message.text = '';
    message.body.replaceChildren();
    message.body.classList.add('typing');
    message.body.setAttribute('aria-label', this.config.texts.thinking);
  }

  private appendDelta(message: BotMessage, delta: string): void {
    message.text += delta;
    message.body.classList.remove('typing');
    message.body.removeAttribute('aria-label');
    message.body.replaceChildren(renderMarkdown(message.text));
    this.scrollToEnd();
    if (!performance.getEntriesByName('parley:first-delta-rendered').length) {
      requestAnimationFrame(() => performance.mark('parley:first-delta-rendered'));
    }
  }

  private showSources(message: BotMessage, sources: Source[]): void {
    message.node.querySelector('.sources')?.remove();
    if (sources.length === 0) return;
    const chips = sources.map((source) => {
      const label = source.title || source.url;
      return /^https?:\/\//i.test(source.url)
        ? el('a', { class: 'chip', href: source.url, target: '_blank', rel: 'noopener noreferrer', title: label, text: label })
        : el('span', { class: 'chip', title: source.url, text: label });
    });
    message.body.parentElement!.append(el('div', { class: 'sources' }, el('span', { class: 'label', text: this.config.texts.sources }), ...chips));
  }

  private finishAnswer(message: BotMessage, done: AnswerDone): void {
    message.body.classList.remove('typing');
    if (done.visitor_token) this.remember({ token: done.visitor_token });
    if (done.mode === 'handoff' || done.mode === 'agent') {
      // Not the bot's answer: a person has (or is being asked to take) the conversation.
      if (!message.text) message.node.remove();
      else message.node.classList.add('notice');
      if (done.status === 'waiting_for_agent' || done.status === 'with_agent') this.listen();
      if (done.offer_lead_form) void this.offerLeadForm('handoff');
      return;
    }
    this.addFeedback(message, done.message_id, 0);
    // Buying intent and a bot that could not answer offer the form; a visitor who asks to be contacted gets it.
    const trigger = done.lead_form_trigger;
    if (trigger) void (trigger === 'request' ? this.showLeadForm(trigger) : this.offerLeadForm(trigger));
  }

  private listen(): void {
    if (this.live || !this.options.client || !this.state.token || typeof EventSource === 'undefined') return;
    const live = new EventSource(this.options.client.liveUrl(this.state.token));
    this.live = live;
    live.onmessage = (event) => {
      const data = JSON.parse(event.data) as { message?: HistoryMessage };
      if (data.message) this.addLiveMessage(data.message);
    };
    live.addEventListener('status', (event) => {
      const data = JSON.parse((event as MessageEvent).data) as { status?: string; offer_lead_form?: boolean };
      if (data.offer_lead_form) void this.offerLeadForm('handoff');
      this.root.dataset.handoff = data.status ?? '';
      if (data.status === 'open' || data.status === 'closed') this.stopLive();
    });
  }

  private stopLive(): void {
    this.live?.close();
    this.live = null;
  }

  // An agent's reply (with their name) or a notice about the handoff, once each.
  private addLiveMessage(message: HistoryMessage): void {
    if (message.id && this.shownLive.has(message.id)) return;
    if (message.id) this.shownLive.add(message.id);
    const shown = this.addBotMessage(message.text);
    shown.node.classList.add(message.role === 'agent' ? 'agent' : 'notice');
    if (message.role === 'agent' && message.author) {
      shown.body.parentElement!.prepend(el('div', { class: 'author', text: message.author }));
    }
  }

  private failAnswer(message: BotMessage, text: string): void {
    message.body.classList.remove('typing');
    message.body.replaceChildren(el('span', { class: 'error', text }));
    this.setStatus('');
  }

  private addFeedback(message: BotMessage, id: number, initial: number): void {
    const t = this.config.texts;
    let rating = initial;
    const thanks = el('span', { role: 'status' });
    const choices = [[1, t.thumbs_up], [-1, t.thumbs_down]] as const;
    const show = () => buttons.forEach((button, index) => button.setAttribute('aria-pressed', String(rating === choices[index][0])));
    const choose = async (value: 1 | -1) => {
      const next = rating === value ? 0 : value; // the same thumb again takes the rating back
      if (!(await this.sendFeedback(id, next))) {
        thanks.textContent = t.error;
        return;
      }
      rating = next;
      show();
      thanks.textContent = next ? t.feedback_thanks : '';
    };
    // Thumbs down is thumbs up turned half a circle (class "flip").
    const buttons = choices.map(([value, label]) =>
      el('button', { type: 'button', class: value < 0 ? 'icon flip' : 'icon', 'aria-label': label, title: label, onclick: () => void choose(value) }, icon(ICONS.up)));
    show();
    message.body.parentElement!.append(el('div', { class: 'feedback' }, ...buttons, thanks));
  }

  private async sendFeedback(id: number, rating: -1 | 0 | 1): Promise<boolean> {
    if (!this.options.client || !this.state.token) return false;
    try {
      await this.options.client.feedback(this.state.token, id, rating);
      return true;
    } catch {
      return false;
    }
  }

  private setStatus(text: string): void {
    this.status.textContent = text;
  }

  private scrollToEnd(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }
}
