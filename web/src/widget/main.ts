// widget.js: <script src="https://HOST/widget.js" data-bot="PUBLIC_ID" async></script>. Finds its own script tag,
// loads the bot's public configuration from the same server, and mounts the widget in a shadow root at the end of
// the page. Marks `parley:widget-ready` (Performance API) when the launcher is usable.
import { ChatClient } from '../shared/chat-client';
import type { WidgetConfig } from './config';
import { retryDelayMs } from './retry';
import { loadCachedConfig, saveCachedConfig } from './storage';
import { LEAD_FORM_LOADED } from './dom';
import type { LeadFormBuilder } from './lead-form';
import { ChatWidget } from './widget';

const HOST_TAG = 'parley-chat';

function ownScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.bot) return current;
  return document.querySelector<HTMLScriptElement>('script[data-bot][src*="widget.js"]');
}

// Why the widget stays hidden, for the site's owner (visitors see nothing): which setting to change.
function explainHidden(client: ChatClient, error: unknown): string {
  const status = (error as { status?: number }).status;
  return 'Parley: ' + (status === 403
    ? `${location.host} is not in the bot's "Allowed domains" (admin app, Builder)`
    : status === 404 ? `no bot "${client.botId}" (data-bot)` : `cannot reach ${client.baseUrl}`);
}

async function loadConfig(client: ChatClient): Promise<WidgetConfig | null> {
  let failure: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await client.config<WidgetConfig>();
    } catch (error) {
      // Refused (this site is not allowed, or no such bot): stay invisible and say why in the console. Only a
      // network failure is tried again.
      failure = error;
      if ((error as { code?: string }).code !== 'network') break;
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt)));
    }
  }
  console.warn(explainHidden(client, failure));
  return null;
}

// The lead form's code (widget-lead-form.js, beside widget.js), loaded once, when the form is first shown. A failed
// load is tried again the next time.
function leadFormLoader(src: string): () => Promise<LeadFormBuilder> {
  let loading: Promise<LeadFormBuilder> | null = null;
  return () =>
    (loading ??= new Promise<LeadFormBuilder>((resolve, reject) => {
      const tag = document.createElement('script');
      tag.src = src;
      tag.addEventListener(LEAD_FORM_LOADED, (event) => resolve((event as CustomEvent<LeadFormBuilder>).detail));
      tag.onerror = () => {
        loading = null;
        tag.remove();
        reject(Error(src)); // the widget says it failed (texts.error); the address is for a debugger
      };
      document.head.append(tag);
    }));
}

function mountHost(config: WidgetConfig, client: ChatClient, loadLeadForm: () => Promise<LeadFormBuilder>): ChatWidget {
  const host = document.createElement(HOST_TAG);
  // Inline !important beats any rule of the page, so its CSS cannot hide or move the widget's host.
  for (const [name, value] of [['all', 'initial'], ['display', 'block'], ['position', 'fixed'], ['z-index', '2147483000'], ['width', '0'], ['height', '0'], ['bottom', '0'], ['right', '0']]) {
    host.style.setProperty(name, value, 'important');
  }
  const widget = new ChatWidget(host.attachShadow({ mode: 'open' }), config, { client, loadLeadForm });
  document.body.append(host);
  performance.mark('parley:widget-ready');
  return widget;
}

// Mounts the widget once the page's body is there: at once from the configuration cached by an earlier page (then
// updated from the server), or when the server's configuration arrives. A refusal removes a cached widget.
async function mount(client: ChatClient, configuration: Promise<WidgetConfig | null>, scriptSrc: string): Promise<void> {
  if (document.querySelector(HOST_TAG)) return;
  const loadLeadForm = leadFormLoader(new URL('widget-lead-form.js', scriptSrc).href);
  const cached = loadCachedConfig<WidgetConfig>(client.botId);
  const early = cached ? mountHost(cached, client, loadLeadForm) : null;
  const config = await configuration;
  if (!config) {
    saveCachedConfig(client.botId, null);
    document.querySelector(HOST_TAG)?.remove();
    return;
  }
  saveCachedConfig(client.botId, config);
  const widget = early ?? mountHost(config, client, loadLeadForm);
  if (early) widget.setConfig(config);
  await widget.start();
}

// document.currentScript is only set while this script first runs. The configuration is requested at once, while
// the page is still loading.
const script = ownScript();
const botId = script?.dataset.bot;
if (script && botId) {
  const own = new URL(script.src, location.href);
  const client = new ChatClient(own.origin, botId);
  const configuration = loadConfig(client);
  const src = own.href;
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => void mount(client, configuration, src));
  else void mount(client, configuration, src);
}
