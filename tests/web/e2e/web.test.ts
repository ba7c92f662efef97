// The whole path of a business and its visitors, in headless Chromium against a real `parley` server: sign in,
// create a bot, upload a Markdown file, ask in the playground, embed the snippet on a third-party site (another
// origin), chat there with a streamed answer and a source chip, give feedback, reload and find the conversation
// again, survive a network loss; and a site that is not allowed gets no answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { adminApi, launchChromium, screenshotPath, startParley, startSite, type Parley, type Site } from './support';

const GUIDE = `# Shipping guide

## Costs

Shipping is free on orders over $75. Otherwise standard shipping costs $7.95.

## Delivery times

Standard parcels arrive within 3 to 5 business days. Bikes ship within 2 business days.
`;

let parley: Parley;
let shop: Site;
let stranger: Site;
let browser: Browser;
let admin: BrowserContext;
let page: Page;
let botId = '';
let snippet = '';
// Content-Security-Policy violations anywhere (the admin app's policy has no 'unsafe-inline').
const policyViolations: string[] = [];

function sitePage(title: string, body: string): string {
  // A page with hostile global CSS: the widget must not be affected.
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<style>* { font-family: serif !important; color: red; } button { display: none; } div { border: 3px solid blue; }</style>
</head><body><h1>${title}</h1>${body}</body></html>`;
}

beforeAll(async () => {
  [parley, shop, stranger, browser] = await Promise.all([startParley(), startSite(), startSite(), launchChromium()]);
  admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await admin.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: parley.url });
  page = await admin.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) policyViolations.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([parley?.stop(), shop?.stop(), stranger?.stop()]);
});

describe('the admin app', () => {
  it('signs in, and refuses a wrong password with a clear message', async () => {
    await page.goto(parley.url + '/admin');
    await page.getByLabel('Email').fill(parley.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('wrong email or password');
    await page.getByLabel('Password').fill(parley.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Bots' }).waitFor();
    await page.getByText('No bots yet').waitFor();
    await page.screenshot({ path: screenshotPath('01-bots-empty.png') });
  });

  it('creates a bot and configures it with a live preview', async () => {
    await page.getByLabel('New bot name').fill('Acme Help');
    await page.getByRole('button', { name: 'Create bot' }).click();
    await page.getByRole('heading', { name: 'Live preview' }).waitFor();
    botId = /#\/bots\/([^/]+)\//.exec(page.url())![1];
    await page.getByLabel('Allowed domains').fill(shop.url);
    await page.getByLabel('Suggested questions').fill('How much does shipping cost?');
    await page.getByLabel('Launcher button').fill('Ask Acme');
    // The preview follows the form before anything is saved.
    await page.locator('.preview-frame .launcher', { hasText: 'Ask Acme' }).waitFor();
    await page.locator('.preview-frame .suggestions button', { hasText: 'How much does shipping cost?' }).waitFor();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved. Visitors see the changes' }).waitFor();
    await page.getByRole('button', { name: 'Copy snippet' }).click();
    snippet = await page.getByLabel('Embed snippet').inputValue();
    expect(snippet).toBe(`<script src="${parley.url}/widget.js" data-bot="${botId}" async></script>`);
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(snippet);
    await page.screenshot({ path: screenshotPath('02-builder.png'), fullPage: true });
  });

  it('uploads a Markdown file and shows it indexed', async () => {
    await page.getByRole('link', { name: 'Knowledge' }).click();
    await page.getByText('No knowledge yet').waitFor();
    await page.getByLabel('Files to upload').setInputFiles({ name: 'shipping.md', mimeType: 'text/markdown', buffer: Buffer.from(GUIDE) });
    await page.locator('.upload-done', { hasText: /Indexed: \d+ passages/ }).waitFor();
    expect(await page.locator('.upload progress').evaluate((bar) => (bar as HTMLProgressElement).value)).toBe(1);
    const row = page.locator('tr', { hasText: 'shipping.md' });
    await row.locator('.pill', { hasText: 'ready' }).waitFor();
    await row.getByRole('button', { name: 'shipping.md', exact: true }).click();
    await page.locator('.documents li', { hasText: 'indexed' }).waitFor();
    // A file the server cannot read: its error is shown, not a stack trace.
    await page.getByLabel('Files to upload').setInputFiles({ name: 'empty.md', mimeType: 'text/markdown', buffer: Buffer.from('   ') });
    const failed = page.locator('.upload-failed');
    await failed.waitFor();
    expect(await failed.textContent()).not.toMatch(/at \w+ \(|Error:|std::/);
    await page.screenshot({ path: screenshotPath('03-knowledge.png'), fullPage: true });
  });

  it('answers in the playground with the mode, sources and timings', async () => {
    await page.getByRole('link', { name: 'Playground' }).click();
    await page.getByPlaceholder('Ask a question as a visitor would…').fill('How much does shipping cost?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    const meta = page.getByLabel('How this answer was made');
    await meta.waitFor();
    // "Otherwise standard shipping costs $7.95." comes with the sentence it leans on.
    await expect(page.locator('.answer .markdown').textContent()).resolves.toContain('Shipping is free on orders over $75. Otherwise standard shipping costs $7.95.');
    await expect(meta.textContent()).resolves.toContain('extractive');
    await expect(page.locator('.answer .chips').textContent()).resolves.toContain('shipping.md');
    await page.screenshot({ path: screenshotPath('04-playground.png'), fullPage: true });
  });
});

describe('the widget on a third-party site', () => {
  let visitor: BrowserContext;
  let site: Page;

  beforeAll(async () => {
    shop.page = sitePage('Acme Shop', `<p>Welcome to our shop.</p>${snippet}`);
    visitor = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    site = await visitor.newPage();
  });
  afterAll(async () => visitor?.close());

  it('opens from one script tag, isolated from the page CSS', async () => {
    await site.goto(shop.url);
    const launcher = site.locator('parley-chat .launcher');
    await launcher.waitFor();
    expect(await launcher.textContent()).toBe('Ask Acme');
    // The page hides every button and paints text red; the widget's own styles win inside its shadow root.
    expect(await launcher.isVisible()).toBe(true);
    expect(await launcher.evaluate((el) => getComputedStyle(el).color)).not.toBe('rgb(255, 0, 0)');
    const ready = await site.evaluate(() => performance.getEntriesByName('parley:widget-ready').length);
    expect(ready).toBe(1);
    await launcher.click();
    await site.locator('parley-chat [role=dialog]').waitFor();
    expect(await site.evaluate(() => document.querySelector('parley-chat')!.shadowRoot!.activeElement?.tagName)).toBe('TEXTAREA');
  });

  it('streams an answer with a source chip, and takes feedback', async () => {
    const streamed = site.waitForResponse((response) => response.url().endsWith('/chat'));
    await site.locator('parley-chat .suggestions button', { hasText: 'How much does shipping cost?' }).click();
    const response = await streamed;
    expect(response.headers()['content-type']).toContain('text/event-stream');
    expect(response.headers()['access-control-allow-origin']).toBe(shop.url);
    const answer = site.locator('parley-chat .msg.bot:not(.greeting)').last();
    await answer.locator('.chip', { hasText: 'Shipping guide' }).waitFor();
    expect(await answer.locator('.bubble').textContent()).toContain('$7.95');
    await answer.getByRole('button', { name: 'Helpful', exact: true }).click();
    await answer.getByText('Thanks for your feedback!').waitFor();
    expect(await answer.getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed')).toBe('true');
    const rated = await adminApi<{ conversations: unknown[] }>(parley, `/bots/${botId}/conversations?rating=up`);
    expect(rated.conversations).toHaveLength(1);
    await site.screenshot({ path: screenshotPath('05-widget-third-party.png') });
  });

  it('keeps the conversation across a reload', async () => {
    await site.reload();
    await site.locator('parley-chat .launcher').click();
    const restored = site.locator('parley-chat .msg.bot:not(.greeting)');
    await restored.first().waitFor();
    expect(await site.locator('parley-chat .msg.user').first().textContent()).toBe('How much does shipping cost?');
    expect(await restored.first().textContent()).toContain('$7.95');
    expect(await restored.first().getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed')).toBe('true');
  });

  it('reconnects after the network comes back', async () => {
    await visitor.setOffline(true);
    try {
      await site.locator('parley-chat textarea').fill('When do bikes ship?');
      await site.locator('parley-chat textarea').press('Enter');
      await site.locator('parley-chat .status', { hasText: "You're offline" }).waitFor();
    } finally {
      await visitor.setOffline(false);
    }
    const answer = site.locator('parley-chat .msg.bot:not(.greeting)').last();
    await answer.locator('.chip').first().waitFor({ timeout: 20_000 });
    expect(await answer.locator('.bubble').textContent()).toContain('Bikes ship within 2 business days');
    expect(await site.locator('parley-chat .status').textContent()).toBe('');
    // Same conversation as before the reload and the network loss.
    const conversations = await adminApi<{ conversations: { message_count: number }[] }>(parley, `/bots/${botId}/conversations`);
    const mine = conversations.conversations.filter((c) => c.message_count === 4);
    expect(mine).toHaveLength(1);
  });

  it('fits a phone screen', async () => {
    await site.setViewportSize({ width: 375, height: 700 });
    const box = await site.locator('parley-chat .panel').boundingBox();
    expect(box!.width).toBe(375);
    // Full screen: the close button in the header replaces the launcher, which would cover the send button.
    expect(await site.locator('parley-chat .launcher').isVisible()).toBe(false);
    await site.locator('parley-chat .send').click({ trial: true });
    await site.screenshot({ path: screenshotPath('06-widget-mobile.png') });
  });

  it('gets no answers on a site that is not allowed', async () => {
    const before = await adminApi<{ conversations: unknown[] }>(parley, `/bots/${botId}/conversations`);
    stranger.page = sitePage('Not allowed', snippet);
    const other = await visitor.newPage();
    // The config is refused (403); the refusal, which holds nothing of the bot, is readable so the widget can say why.
    const refused = other.waitForResponse((response) => response.url().includes(`/widget/${botId}/config`));
    const warned = other.waitForEvent('console', (message) => message.type() === 'warning' && message.text().includes('Allowed domains'));
    await other.goto(stranger.url);
    expect((await refused).status()).toBe(403);
    await warned;
    expect(await other.locator('parley-chat').count()).toBe(0);
    const direct = await other.evaluate(async ({ url, bot }) => {
      try {
        const response = await fetch(`${url}/api/v1/bots/${bot}/chat`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"message":"How much does shipping cost?"}' });
        return `status ${response.status}`;
      } catch {
        return 'blocked';
      }
    }, { url: parley.url, bot: botId });
    expect(direct).toBe('blocked');
    const after = await adminApi<{ conversations: unknown[] }>(parley, `/bots/${botId}/conversations`);
    expect(after.conversations.length).toBe(before.conversations.length);
    await other.close();
  });
});

describe('the admin app afterwards', () => {
  it('lists, searches and shows the conversations with their sources', async () => {
    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.locator('tbody tr').first().waitFor(); // the unfiltered list: the playground's and the widget's
    expect(await page.locator('tbody tr').count()).toBe(2);
    await page.getByLabel('Search messages').fill('bikes ship');
    const filtered = page.waitForResponse((response) => response.url().includes('q=bikes+ship'));
    await page.getByRole('button', { name: 'Apply' }).click();
    await filtered;
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await page.screenshot({ path: screenshotPath('07-conversations.png'), fullPage: true });
    await page.locator('tbody tr a').first().click();
    await page.locator('.transcript').waitFor();
    await expect(page.locator('.transcript').textContent()).resolves.toContain('helpful');
    await expect(page.locator('.transcript .chips').first().textContent()).resolves.toContain('Shipping guide');
    await page.screenshot({ path: screenshotPath('08-transcript.png'), fullPage: true });
    const csv = await page.evaluate(async (bot) => (await fetch(`/api/v1/bots/${bot}/conversations/export?format=csv`)).text(), botId);
    expect(csv.split('\r\n')[0]).toBe('conversation_id,message_id,created_at,role,text,mode,confidence,latency_ms,feedback,sources');
    expect(csv).toContain('When do bikes ship?');
  });

  it('charts the analytics', async () => {
    await page.getByRole('link', { name: 'Analytics' }).click();
    await page.locator('.uplot').first().waitFor();
    const kpis = await page.locator('.kpis').textContent();
    expect(kpis).toContain('Questions');
    expect(kpis).toMatch(/Handed to a person0% \(0 of \d+ conversations\)/);
    await expect(page.locator('.bars', { hasText: 'Most cited sources' }).textContent()).resolves.toContain('Shipping guide');
    await page.screenshot({ path: screenshotPath('09-analytics.png'), fullPage: true });
  });

  it('ran under its Content-Security-Policy without a violation', () => {
    expect(policyViolations).toEqual([]);
  });

  it('deletes the bot', async () => {
    await page.getByRole('link', { name: 'Bots' }).first().click();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete Acme Help' }).click();
    await page.getByText('No bots yet').waitFor();
  });
});

describe('the demo page', () => {
  it('embeds the real widget with one script tag and answers from the demo knowledge', async () => {
    const demo = await startParley(true);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const shop = await context.newPage();
      await shop.goto(demo.url + '/demo');
      expect(await shop.locator('script').count()).toBe(1);
      await shop.locator('parley-chat .launcher').click();
      await shop.locator('parley-chat textarea').fill('How much is shipping?');
      await shop.locator('parley-chat textarea').press('Enter');
      const answer = shop.locator('parley-chat .msg.bot:not(.greeting)').last();
      await answer.locator('.chip').first().waitFor();
      expect(await answer.locator('.bubble').textContent()).toContain('$7.95');
      await shop.screenshot({ path: screenshotPath('10-demo-page.png') });
    } finally {
      await context.close();
      await demo.stop();
    }
  });
});
