// Visitor tokens expire when a conversation is left alone (here after 4 seconds, `[limits] visitor_token_seconds`):
// in headless Chromium, the widget on a third-party site then starts a new conversation — for the next message, and
// on the next page load — without an error, and the old conversation stays out of reach.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { adminApi, launchChromium, screenshotPath, startParley, startSite, type Parley, type Site } from './support';

const GUIDE = '# Shipping\n\nStandard shipping costs $7.95. Bikes ship within 2 business days.\n';
const LIFETIME_MS = 4000;

let parley: Parley;
let shop: Site;
let browser: Browser;
let visitor: BrowserContext;
let site: Page;
let botId = '';
const consoleErrors: string[] = [];

async function ask(question: string): Promise<string> {
  const before = await site.locator('parley-chat .msg.bot:not(.greeting)').count();
  await site.locator('parley-chat textarea').fill(question);
  await site.locator('parley-chat textarea').press('Enter');
  const answer = site.locator('parley-chat .msg.bot:not(.greeting)').nth(before);
  await answer.locator('.chip').first().waitFor();
  return (await answer.locator('.bubble').textContent()) ?? '';
}

async function conversations(): Promise<{ id: string; message_count: number }[]> {
  return (await adminApi<{ conversations: { id: string; message_count: number }[] }>(parley, `/bots/${botId}/conversations`)).conversations;
}

beforeAll(async () => {
  [parley, shop, browser] = await Promise.all([startParley(false, '', `visitor_token_seconds = ${LIFETIME_MS / 1000}`), startSite(), launchChromium()]);
  const bot = await adminApi<{ id: string }>(parley, '/bots', {
    method: 'POST',
    body: JSON.stringify({ name: 'Acme', settings: { allowed_domains: [shop.url] } }),
  });
  botId = bot.id;
  await adminApi(parley, `/bots/${botId}/sources`, { method: 'POST', body: JSON.stringify({ name: 'shipping.md', content: GUIDE }) });
  shop.page = `<!doctype html><title>Acme</title><p>Shop</p><script src="${parley.url}/widget.js" data-bot="${botId}" async></script>`;
  visitor = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  site = await visitor.newPage();
  site.on('console', (message) => {
    // The refused token's 401 is the one error the browser itself logs.
    if (message.type() === 'error' && !/401/.test(message.text())) consoleErrors.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([parley?.stop(), shop?.stop()]);
});

describe('an idle visitor conversation', () => {
  it('expires, and the next message starts a new conversation without an error', async () => {
    await site.goto(shop.url);
    await site.locator('parley-chat .launcher').click();
    expect(await ask('How much does shipping cost?')).toContain('$7.95');
    expect(await conversations()).toHaveLength(1);
    await site.waitForTimeout(LIFETIME_MS + 1500);
    expect(await ask('When do bikes ship?')).toContain('2 business days');
    expect(await site.locator('parley-chat .error').count()).toBe(0);
    const now = await conversations();
    expect(now).toHaveLength(2);
    expect(now.map((c) => c.message_count).sort()).toEqual([2, 2]);
  });

  it('expires, and the next page load starts afresh without an error', async () => {
    await site.waitForTimeout(LIFETIME_MS + 1500);
    const refused = site.waitForResponse((response) => response.url().includes('/conversation'));
    await site.reload();
    await site.locator('parley-chat .launcher').click();
    expect((await refused).status()).toBe(401);
    // The old transcript is not shown, nothing went wrong, and the visitor can simply ask.
    expect(await site.locator('parley-chat .msg.user').count()).toBe(0);
    expect(await site.locator('parley-chat .error').count()).toBe(0);
    expect(await ask('How much does shipping cost?')).toContain('$7.95');
    expect(await conversations()).toHaveLength(3);
    await site.screenshot({ path: screenshotPath('visitor-token-expired.png') });
    expect(consoleErrors).toEqual([]);
  });
});
