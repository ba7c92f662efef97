// Leads and handoff, end to end in headless Chromium against the real `parley` server.
// - Handoff: a visitor on a third-party site presses "talk to a person" in the widget; an agent signed in to the
//   admin app in a second browser context (its own cookies and storage) sees the conversation appear in the live
//   inbox with its transcript and summary, claims it and replies; the reply appears in the visitor's widget without
//   a reload; the visitor's next message reaches the agent live; the agent hands back and the bot answers again.
// - Lead form: the widget loads its form (widget-lead-form.js) only when a trigger fires: buying intent in a
//   question, and before the chat; the browser's checks, the server's answer per field, and the lead in the
//   admin app's list and its CSV export.
// - Webhooks page: a webhook added in the admin app (its secret shown once) receives a signed event, the delivery
//   log shows it delivered, and a manual replay sends the same event again.
import { createHash, createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { adminApi, launchChromium, screenshotPath, signIn, startParley, startSite, type Parley, type Site } from './support';

const GUIDE = `# Shipping guide

## Costs

Shipping is free on orders over $75. Otherwise standard shipping costs $7.95.
`;

let parley: Parley;
let shop: Site;
let browser: Browser;
let agent: BrowserContext;
let desk: Page;
let supportBot = '';
let salesBot = '';

const api = (path: string, init: RequestInit = {}): Promise<any> => adminApi<any>(parley, path, init);

async function createBot(name: string, settings: object): Promise<string> {
  const bot = await api('/bots', { method: 'POST', body: JSON.stringify({ name, settings: { allowed_domains: [shop.url], ...settings } }) });
  await api(`/bots/${bot.id}/sources`, { method: 'POST', body: JSON.stringify({ name: 'shipping.md', content: GUIDE }) });
  return bot.id;
}

// A visitor: a fresh browser context (own storage) on the shop's page with the widget of `botId`.
async function visit(botId: string): Promise<{ context: BrowserContext; page: Page; requested: string[] }> {
  shop.page = `<!doctype html><html><head><meta charset="utf-8"><title>Acme</title></head><body><h1>Acme</h1>
<script src="${parley.url}/widget.js" data-bot="${botId}" async></script></body></html>`;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const requested: string[] = [];
  page.on('request', (request) => requested.push(new URL(request.url()).pathname));
  await page.goto(shop.url);
  return { context, page, requested };
}

beforeAll(async () => {
  [parley, shop, browser] = await Promise.all([startParley(), startSite(), launchChromium()]);
  supportBot = await createBot('Acme Help', { handoff: { claim_timeout_seconds: 600 } });
  salesBot = await createBot('Acme Sales', {
    leads: {
      enabled: true,
      fields: [{ name: 'name', required: true }, { name: 'email', required: true }, { name: 'phone' }],
      consent: 'Acme may contact me about my request.',
      default_country: 'US',
      triggers: { buying_intent: true, fallback: false, on_request: true },
    },
  });
  // The agent signs in to the admin app.
  agent = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  desk = await agent.newPage();
  await signIn(desk, parley);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([parley?.stop(), shop?.stop()]);
});

describe('handoff to a person', () => {
  it('goes from the widget to an agent in the admin inbox and back to the bot', async () => {
    await desk.getByRole('link', { name: 'Inbox' }).click();
    await desk.getByText('Nobody is waiting').waitFor();

    // The visitor asks the bot, then presses "talk to a person".
    const { page: site } = await visit(supportBot);
    const widget = site.locator('parley-chat');
    await widget.locator('.launcher').click();
    const input = widget.locator('textarea');
    await input.fill('How much does shipping cost?');
    await input.press('Enter');
    await widget.locator('.msg.bot:not(.greeting) .chip').first().waitFor();
    await widget.getByRole('button', { name: 'Talk to a person' }).click();
    await widget.locator('.msg.notice', { hasText: 'connecting you with a person' }).waitFor();

    // The agent's inbox shows it without a reload, with the transcript and the summary.
    const entry = desk.locator('.inbox-list a', { hasText: 'How much does shipping cost?' });
    await entry.waitFor({ timeout: 10_000 });
    expect(await entry.textContent()).toContain('Waiting');
    expect(await desk.title()).toBe('(1) Parley');
    await entry.click();
    const detail = desk.locator('.inbox-detail');
    await detail.locator('.summary', { hasText: 'How much does shipping cost?' }).waitFor();
    await detail.locator('.transcript li', { hasText: '$7.95' }).waitFor();
    await desk.screenshot({ path: screenshotPath('20-inbox-waiting.png'), fullPage: true });
    await desk.getByRole('button', { name: 'Claim this conversation' }).click();
    await detail.locator('.pill', { hasText: 'With an agent' }).waitFor();
    await desk.getByLabel('Reply to the visitor').fill('Hi, this is support. Your parcel ships today.');
    const sentAt = Date.now();
    await desk.getByRole('button', { name: 'Send reply' }).click();

    // The visitor sees the reply live, in the same widget, with the agent's name.
    const reply = widget.locator('.msg.agent', { hasText: 'Your parcel ships today' });
    await reply.waitFor({ timeout: 10_000 });
    const seenAfterMs = Date.now() - sentAt;
    const me = await desk.evaluate(async () => (await (await fetch('/api/v1/auth/me')).json()).user);
    // Until the owner sets their name, visitors see their email's name (never their role).
    expect(await reply.locator('.author').textContent()).toBe(me.name || me.email.split('@')[0]);
    expect(seenAfterMs).toBeLessThan(5_000);
    await site.screenshot({ path: screenshotPath('21-handoff-agent-reply.png') });

    // While the agent has it, the bot does not answer; the agent sees the visitor's message live.
    const botAnswers = widget.locator('.msg.bot:not(.greeting):not(.notice):not(.agent)');
    const botAnswersBefore = await botAnswers.count();
    await input.fill('Great, thanks! Which carrier?');
    await input.press('Enter');
    await detail.locator('.transcript li', { hasText: 'Which carrier?' }).waitFor({ timeout: 10_000 });
    // (the widget drops the empty bubble it opened once the server says a person has the conversation)
    await site.waitForFunction(
      (count) => document.querySelector('parley-chat')!.shadowRoot!.querySelectorAll('.msg.bot:not(.greeting):not(.notice):not(.agent)').length === count,
      botAnswersBefore,
    );
    await desk.screenshot({ path: screenshotPath('22-inbox-with-agent.png'), fullPage: true });

    // Hand back: the conversation leaves the inbox, the visitor is told, and the bot answers again.
    await desk.getByRole('button', { name: 'Hand back to the bot' }).click();
    await desk.getByText('Nobody is waiting').waitFor();
    await widget.locator('.msg.notice', { hasText: 'chatting with the bot again' }).waitFor();
    await input.fill('How much does shipping cost?');
    await input.press('Enter');
    const last = botAnswers.nth(botAnswersBefore);
    await last.locator('.chip').first().waitFor();
    expect(await last.locator('.bubble').textContent()).toContain('$7.95');
    await site.screenshot({ path: screenshotPath('23-handoff-back-to-bot.png') });

    const conversations = await api(`/bots/${supportBot}/conversations`);
    const transcript = await api(`/bots/${supportBot}/conversations/${conversations.conversations[0].id}`);
    const roles = transcript.messages.map((m: { role: string }) => m.role);
    expect(roles).toContain('agent');
    expect(roles.filter((r: string) => r === 'user')).toHaveLength(3);
  });
});

describe('the lead form in the widget', () => {
  it('appears on buying intent, checks the fields, shows the server\'s errors and stores the lead', async () => {
    const { page: site, requested } = await visit(salesBot);
    const widget = site.locator('parley-chat');
    await widget.locator('.launcher').click();
    expect(requested).toContain('/widget.js');
    expect(requested).not.toContain('/widget-lead-form.js'); // loaded only when a trigger fires

    const input = widget.locator('textarea');
    await input.fill('Can I get a quote for shipping 20 boxes?');
    await input.press('Enter');
    const form = widget.locator('.lead-form');
    await form.waitFor({ timeout: 10_000 });
    expect(requested).toContain('/widget-lead-form.js');
    expect(await form.textContent()).toContain('Acme may contact me about my request.');

    // The browser's checks: nothing is sent while required fields are empty.
    await form.getByRole('button', { name: 'Send my details' }).click();
    expect(await form.locator('#pw-lead-name-error').textContent()).toBe('Please fill this in.');
    expect(await form.locator('#pw-lead-consent-error').textContent()).toBe('Please fill this in.');
    // The server's check (libphonenumber): a number that cannot exist is named under its field.
    await form.getByLabel('Name *').fill('Jane Doe');
    await form.getByLabel('Email *').fill('jane@example.com');
    await form.getByLabel('Phone').fill('+1 555');
    await form.getByLabel('Acme may contact me about my request.').check();
    await form.getByRole('button', { name: 'Send my details' }).click();
    await form.locator('#pw-lead-phone-error:not(:empty)').waitFor();
    expect(await form.locator('#pw-lead-name-error').textContent()).toBe('');
    await site.screenshot({ path: screenshotPath('24-lead-form-error.png') });
    await form.getByLabel('Phone').fill('(650) 253-0000');
    await form.getByRole('button', { name: 'Send my details' }).click();
    await widget.locator('.msg.notice', { hasText: "Thank you! We'll be in touch." }).waitFor();
    expect(await form.count()).toBe(0);

    // The lead, tied to the visitor's conversation, in the admin app's list and its CSV export.
    const { leads } = await api(`/bots/${salesBot}/leads`);
    expect(leads).toHaveLength(1);
    expect(leads[0]).toMatchObject({ name: 'Jane Doe', email: 'jane@example.com', phone: '+16502530000', trigger: 'buying_intent' });
    const transcript = await api(`/bots/${salesBot}/conversations/${leads[0].conversation_id}`);
    expect(transcript.messages[0].text).toBe('Can I get a quote for shipping 20 boxes?');
    await desk.goto(`${parley.url}/admin#/bots/${salesBot}/leads`);
    const row = desk.locator('tr', { hasText: 'jane@example.com' });
    await row.waitFor();
    expect(await row.textContent()).toContain('+16502530000');
    expect(await row.textContent()).toContain('Buying intent');
    const href = await desk.locator('.export a', { hasText: 'CSV' }).getAttribute('href');
    const csv = await desk.evaluate(async (url) => (await fetch(url!)).text(), href);
    expect(csv).toContain('Jane Doe,jane@example.com,+16502530000');
    await desk.screenshot({ path: screenshotPath('25-leads-list.png'), fullPage: true });
  });

  it('comes before the chat when the bot says so, and "not now" lets the visitor chat', async () => {
    const bot = await api(`/bots/${salesBot}`);
    await api(`/bots/${salesBot}`, {
      method: 'PATCH',
      body: JSON.stringify({ settings: { leads: { ...bot.settings.leads, triggers: { ...bot.settings.leads.triggers, before_chat: true } } } }),
    });
    const { page: site } = await visit(salesBot);
    const widget = site.locator('parley-chat');
    // The configuration is fetched fresh on a first visit, so the new trigger applies at once.
    await widget.locator('.launcher').click();
    const form = widget.locator('.lead-form');
    await form.waitFor({ timeout: 10_000 });
    expect(await widget.locator('textarea').isVisible()).toBe(false);
    await site.screenshot({ path: screenshotPath('26-lead-form-before-chat.png') });
    await form.getByRole('button', { name: 'Not now' }).click();
    await widget.locator('textarea').waitFor({ state: 'visible' });
    expect(await form.count()).toBe(0);
  });
});

describe('the webhooks page', () => {
  it('adds a webhook, shows its signed deliveries and replays one', async () => {
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((listening) => receiver.listen(0, '127.0.0.1', listening));
    const address = receiver.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks/parley`;
    try {
      await desk.getByRole('link', { name: 'Webhooks' }).click();
      await desk.getByText('No webhooks yet').waitFor();
      await desk.getByLabel("Receiver's address").fill(url);
      await desk.getByRole('combobox', { name: /^Bot/ }).selectOption({ label: 'Acme Sales' });
      await desk.getByRole('button', { name: 'Add webhook' }).click();
      const secret = (await desk.locator('code.secret').textContent())!;
      expect(secret).toMatch(/^whsec_/);
      await desk.locator('tr', { hasText: url }).waitFor();

      const lead = await fetch(`${parley.url}/api/v1/bots/${salesBot}/leads`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ fields: { name: 'Max Roe', email: 'max@example.com' }, consent: true, trigger: 'request' }),
      });
      expect(lead.status).toBe(201);
      const deadline = Date.now() + 10_000;
      while (received.length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(received).toHaveLength(1);
      const event = JSON.parse(received[0].body);
      expect(event).toMatchObject({ type: 'lead.created', bot_id: salesBot });
      const expected = createHmac('sha256', secret).update(`${received[0].headers['parley-timestamp']}.${received[0].body}`).digest('hex');
      expect(received[0].headers['parley-signature']).toBe(`v1=${expected}`);

      await desk.getByRole('link', { name: 'Delivery log' }).click();
      const row = desk.locator('tr[data-delivery]', { hasText: 'lead.created' });
      for (let tries = 0; !(await row.textContent())?.includes('delivered'); tries++) {
        expect(tries).toBeLessThan(50);
        await desk.getByRole('button', { name: 'Refresh' }).click();
        await desk.waitForTimeout(100);
      }
      await row.getByRole('button', { name: 'Attempts' }).click();
      await desk.locator('[aria-label="Delivery attempts"] li', { hasText: 'HTTP 200' }).waitFor();
      await row.getByRole('button', { name: 'Replay' }).click();
      while (received.length < 2 && Date.now() < deadline + 10_000) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(received).toHaveLength(2);
      expect(JSON.parse(received[1].body).id).toBe(event.id);  // the same event, again
      expect(createHash('sha256').update(received[1].body).digest('hex')).toBe(createHash('sha256').update(received[0].body).digest('hex'));
      await desk.screenshot({ path: screenshotPath('27-webhooks.png'), fullPage: true });
    } finally {
      await new Promise((closed) => receiver.close(closed));
    }
  });

  it("sends a test event and shows the receiver's answer, accepted or not", async () => {
    let status = 200;
    const receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(status, { 'Content-Type': 'text/plain' }).end(status === 200 ? 'thanks, got it' : 'crm is down for maintenance'));
    });
    await new Promise<void>((listening) => receiver.listen(0, '127.0.0.1', listening));
    const address = receiver.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/crm`;
    try {
      await desk.goto(`${parley.url}/admin#/webhooks`);
      await desk.getByLabel("Receiver's address").fill(url);
      await desk.getByRole('button', { name: 'Add webhook' }).click();
      const row = desk.locator('tr', { hasText: url });
      await row.waitFor();
      await row.getByRole('button', { name: `Send a test event to ${url}` }).click();
      const result = row.getByRole('status', { name: 'Test event result' });
      await result.waitFor();
      await expect(result.textContent()).resolves.toMatch(/The receiver accepted the test event \(HTTP 200, \d+ ms\)/);
      await expect(result.textContent()).resolves.toContain('thanks, got it');
      status = 503;
      await row.getByRole('button', { name: `Send a test event to ${url}` }).click();
      await row.getByRole('status', { name: 'Test event result' }).filter({ hasText: 'The receiver refused the test event: HTTP 503.' }).waitFor();
      await expect(result.textContent()).resolves.toContain('crm is down for maintenance');
      await row.screenshot({ path: screenshotPath('28-webhook-test-event.png') });
    } finally {
      await new Promise((closed) => receiver.close(closed));
    }
  });

  it('refuses a receiver on a private network when it is added, at the address field', async () => {
    const strict = await startParley(false, '', '', false);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const owner = await context.newPage();
      owner.on('console', () => undefined);
      await signIn(owner, strict);
      await owner.goto(`${strict.url}/admin#/webhooks`);
      const address = owner.getByLabel("Receiver's address");
      await address.fill('http://127.0.0.1:9/crm');
      await owner.getByRole('button', { name: 'Add webhook' }).click();
      const error = owner.locator('#webhook-url-error');
      await error.waitFor();
      await expect(error.textContent()).resolves.toMatch(/^127\.0\.0\.1 is on a private network \(127\.0\.0\.1\)/);
      await expect(address.getAttribute('aria-invalid')).resolves.toBe('true');
      await owner.getByText('No webhooks yet').waitFor();
    } finally {
      await context.close();
      await strict.stop();
    }
  });
});

describe("the agents' inbox", () => {
  it('alerts an agent on another page, counts unread messages, keeps the summary current and names the agent', async () => {
    // The browser's notifications and sound, recorded: headless Chromium shows neither.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(() => {
      const record = (window as any);
      record.notes = [];
      record.chimes = 0;
      (window as any).Notification = class {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        onclick: unknown = null;
        constructor(title: string, options: { body?: string }) {
          record.notes.push({ title, body: options?.body ?? '' });
        }
        close() {}
      };
      const create = AudioContext.prototype.createOscillator;
      AudioContext.prototype.createOscillator = function (this: AudioContext) {
        record.chimes += 1;
        return create.call(this);
      };
    });
    const agentPage = await context.newPage();
    await signIn(agentPage, parley);
    // The owner sets the name visitors see.
    await agentPage.getByRole('link', { name: 'Account', exact: true }).click();
    await agentPage.getByLabel('Your name').fill('Maria Gomez');
    await agentPage.getByRole('button', { name: 'Save', exact: true }).click();
    await agentPage.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await agentPage.getByRole('link', { name: 'Bots' }).first().click();

    const { page: site, context: visitorContext } = await visit(supportBot);
    const widget = site.locator('parley-chat');
    await widget.locator('.launcher').click();
    await widget.getByRole('button', { name: 'Talk to a person' }).click();
    await widget.locator('.msg.notice', { hasText: 'connecting you with a person' }).waitFor();

    // On the bots page, the top bar counts the waiting visitor; a chime and a notification announce them.
    await agentPage.locator('.topnav a', { hasText: 'Inbox' }).locator('.count', { hasText: '1' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => agentPage.evaluate(() => (window as any).chimes)).toBeGreaterThan(0);
    const notes = await agentPage.evaluate(() => (window as any).notes);
    expect(notes).toEqual([{ title: 'A visitor is waiting for a person', body: 'New conversation' }]);

    // The visitor writes on while waiting: the inbox counts it unread and the summary takes it in.
    const input = widget.locator('textarea');
    await input.fill('My order number is 4411');
    await input.press('Enter');
    await agentPage.locator('.topnav a', { hasText: 'Inbox' }).click();
    const entry = agentPage.locator('.inbox-list li', { hasText: 'My order number is 4411' });
    await entry.waitFor({ timeout: 10_000 });
    const unread = Number(await entry.locator('.unread').textContent());
    expect(unread).toBeGreaterThanOrEqual(2); // the request's notice and the visitor's message at least
    await entry.locator('a').click();
    const detail = agentPage.locator('.inbox-detail');
    await detail.locator('.summary', { hasText: 'My order number is 4411' }).waitFor();
    expect(await entry.locator('.unread').count()).toBe(0);
    // A roomy transcript: most of the window's height, most of its width.
    const transcript = await detail.locator('.transcript').evaluate((list) => ({ max: parseFloat(getComputedStyle(list).maxHeight), width: list.getBoundingClientRect().width }));
    expect(transcript.max).toBeGreaterThanOrEqual(500);
    expect(transcript.width).toBeGreaterThan(700);

    await agentPage.getByRole('button', { name: 'Claim this conversation' }).click();
    await entry.getByText('With Maria Gomez').waitFor();
    await agentPage.getByLabel('Reply to the visitor').fill('Hello, I am looking at order 4411 now.');
    await agentPage.getByRole('button', { name: 'Send reply' }).click();
    const reply = widget.locator('.msg.agent', { hasText: 'order 4411 now' });
    await reply.waitFor({ timeout: 10_000 });
    expect(await reply.locator('.author').textContent()).toBe('Maria Gomez');
    await agentPage.screenshot({ path: screenshotPath('24-inbox-agent-named.png'), fullPage: true });
    await agentPage.getByRole('button', { name: 'Close the conversation' }).click();
    await visitorContext.close();
    await context.close();
  });
});
