// Handing a visitor to a person, end to end in headless Chromium against the real `parley` server: the visitor asks
// for a person in the widget on a third-party site; an agent in a second browser context (its own cookies and
// storage) sees the conversation in the workspace's live inbox stream, claims it and replies; the reply appears in
// the visitor's widget without a reload; the agent hands back and the bot answers again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, screenshotPath, startParley, startSite, type Parley, type Site } from './support';

const GUIDE = `# Shipping guide

## Costs

Shipping is free on orders over $75. Otherwise standard shipping costs $7.95.
`;

let parley: Parley;
let shop: Site;
let browser: Browser;
let visitor: BrowserContext;
let agent: BrowserContext;
let site: Page;
let desk: Page;
let botId = '';

async function api(path: string, init: RequestInit = {}): Promise<any> {
  const response = await fetch(parley.url + '/api/v1' + path, {
    ...init,
    headers: { Authorization: `Bearer ${parley.apiKey}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

beforeAll(async () => {
  [parley, shop, browser] = await Promise.all([startParley(), startSite(), launchChromium()]);
  const bot = await api('/bots', {
    method: 'POST',
    body: JSON.stringify({ name: 'Acme Help', settings: { allowed_domains: [shop.url], handoff: { claim_timeout_seconds: 600 }, leads: { enabled: true } } }),
  });
  botId = bot.id;
  await api(`/bots/${botId}/sources`, { method: 'POST', body: JSON.stringify({ name: 'shipping.md', content: GUIDE }) });
  shop.page = `<!doctype html><html><head><meta charset="utf-8"><title>Acme</title></head><body><h1>Acme</h1>
<script src="${parley.url}/widget.js" data-bot="${botId}" async></script></body></html>`;
  visitor = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  agent = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  site = await visitor.newPage();
  desk = await agent.newPage();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([parley?.stop(), shop?.stop()]);
});

describe('handoff to a person', () => {
  it('goes from the widget to an agent and back to the bot', async () => {
    // The agent's desk: a page of the server that keeps the inbox stream open and records its events.
    await desk.goto(parley.url + '/healthz');
    await desk.evaluate(async (key) => {
      const w = window as any;
      w.inboxEvents = [];
      const response = await fetch('/api/v1/inbox/events', { headers: { Authorization: `Bearer ${key}`, Accept: 'text/event-stream' } });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const name = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (data) w.inboxEvents.push({ name, data: JSON.parse(data) });
          }
        }
      })();
    }, parley.apiKey);
    await desk.waitForFunction(() => (window as any).inboxEvents.some((e: any) => e.name === 'inbox'));

    // The visitor asks the bot, then for a person.
    await site.goto(shop.url);
    await site.locator('parley-chat .launcher').click();
    const input = site.locator('parley-chat textarea');
    await input.fill('How much does shipping cost?');
    await input.press('Enter');
    await site.locator('parley-chat .msg.bot:not(.greeting) .chip').first().waitFor();
    await input.fill('Can I talk to a real person, please?');
    await input.press('Enter');
    await site.locator('parley-chat .msg.notice', { hasText: 'connecting you with a person' }).waitFor();

    // The agent sees it at once on the live inbox, with a summary, claims it and replies.
    const requested = await desk.waitForFunction(
      () => (window as any).inboxEvents.find((e: any) => e.name === 'handoff_requested')?.data.conversation,
    );
    const conversation = (await requested.jsonValue()) as { id: string; summary: string; status: string };
    expect(conversation.status).toBe('waiting_for_agent');
    expect(conversation.summary).toContain('How much does shipping cost?');
    const act = (path: string, body: object) =>
      desk.evaluate(
        async ({ url, key, payload }) => {
          const response = await fetch(url, {
            method: 'POST',
            headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
            body: JSON.stringify(payload),
          });
          return { status: response.status, body: await response.json() };
        },
        { url: `/api/v1/bots/${botId}/conversations/${conversation.id}/${path}`, key: parley.apiKey, payload: body },
      );
    expect((await act('claim', { agent_name: 'Sam' })).status).toBe(200);
    const sentAt = Date.now();
    expect((await act('reply', { text: 'Hi, Sam here. Your parcel ships today.' })).status).toBe(200);

    // The visitor sees the reply live, in the same widget, with the agent's name.
    const reply = site.locator('parley-chat .msg.agent', { hasText: 'Sam here' });
    await reply.waitFor({ timeout: 10_000 });
    const seenAfterMs = Date.now() - sentAt;
    expect(await reply.locator('.author').textContent()).toBe('Sam');
    expect(seenAfterMs).toBeLessThan(5_000);
    await site.screenshot({ path: screenshotPath('20-handoff-agent-reply.png') });

    // While the agent has it, the bot does not answer; the agent gets the message live.
    const botAnswersBefore = await site.locator('parley-chat .msg.bot:not(.greeting):not(.notice):not(.agent)').count();
    await input.fill('Great, thanks! Which carrier?');
    await input.press('Enter');
    await desk.waitForFunction(() =>
      (window as any).inboxEvents.some((e: any) => e.name === 'message' && e.data.message.text === 'Great, thanks! Which carrier?'),
    );
    // (the widget drops the empty bubble it opened once the server says a person has the conversation)
    await site.waitForFunction(
      (count) => document.querySelector('parley-chat')!.shadowRoot!.querySelectorAll('.msg.bot:not(.greeting):not(.notice):not(.agent)').length === count,
      botAnswersBefore,
    );

    // Hand back: the visitor is told, and the bot answers again.
    expect((await act('handback', {})).status).toBe(200);
    await site.locator('parley-chat .msg.notice', { hasText: 'chatting with the bot again' }).waitFor();
    await input.fill('How much does shipping cost?');
    await input.press('Enter');
    const last = site.locator('parley-chat .msg.bot:not(.greeting):not(.notice):not(.agent)').nth(botAnswersBefore);
    await last.locator('.chip').first().waitFor();
    expect(await last.locator('.bubble').textContent()).toContain('$7.95');
    await site.screenshot({ path: screenshotPath('21-handoff-back-to-bot.png') });

    const transcript = await api(`/bots/${botId}/conversations/${conversation.id}`);
    const roles = transcript.messages.map((m: { role: string }) => m.role);
    expect(roles).toContain('agent');
    expect(roles.filter((r: string) => r === 'user')).toHaveLength(4);
  });

  it('lists the leads visitors left in the admin app, with their export', async () => {
    // (The widget does not render the lead form yet: the visitor's submission goes to the public endpoint directly.)
    const submitted = await fetch(`${parley.url}/api/v1/bots/${botId}/leads`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ fields: { name: 'Jane Doe', email: 'jane@example.com', phone: '+1 650 253 0000' }, trigger: 'buying_intent' }),
    });
    expect(submitted.status).toBe(201);
    await desk.goto(parley.url + '/admin');
    await desk.getByLabel('Email').fill(parley.email);
    await desk.getByLabel('Password').fill(parley.password);
    await desk.getByRole('button', { name: 'Sign in' }).click();
    await desk.getByRole('heading', { name: 'Bots' }).waitFor();
    await desk.goto(`${parley.url}/admin#/bots/${botId}/leads`);
    const row = desk.locator('tr', { hasText: 'jane@example.com' });
    await row.waitFor();
    expect(await row.textContent()).toContain('+16502530000');
    expect(await row.textContent()).toContain('Buying intent');
    // The export link works with the admin app's session.
    const href = await desk.locator('.export a', { hasText: 'CSV' }).getAttribute('href');
    expect(href).toContain(`/api/v1/bots/${botId}/leads/export?format=csv`);
    const csv = await desk.evaluate(async (url) => (await fetch(url!)).text(), href);
    expect(csv).toContain('Jane Doe,jane@example.com,+16502530000');
    await desk.screenshot({ path: screenshotPath('22-leads-list.png'), fullPage: true });
  });
});
