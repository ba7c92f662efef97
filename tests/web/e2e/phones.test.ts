// Phones, in headless Chromium against the real `parley` server: the widget at 320 to 430 px with an answer whose
// source has a long unbroken title, and every page of the admin app at 390 px (with data on each: a conversation,
// a lead, a waiting visitor, a webhook, a second person, a key, a test case), without sideways scrolling
// (document.documentElement.scrollWidth) and with Sign out on the screen. Screenshots of each page at 390 px and
// at desktop width in test-artifacts/screenshots/phone-*.png and desktop-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { adminApi, ConsoleWatch, horizontalOverflow, launchChromium, screenshotPath, signIn, startParley, startSite, type Parley, type Site } from './support';

const LONG_TITLE = 'Warrantyconditionsforeverybicycleframeandforkincludingcarbonandaluminiummodelsworldwide';
const GUIDE = `# ${LONG_TITLE}

Frames and forks are covered for ten years against defects in materials and workmanship.
`;

let parley: Parley;
let shop: Site;
let browser: Browser;
let botId = '';
let conversationId = '';
let webhookId = '';
const consoleWatch = new ConsoleWatch();

const api = (path: string, init: RequestInit = {}): Promise<any> => adminApi<any>(parley, path, init);

beforeAll(async () => {
  [parley, shop, browser] = await Promise.all([startParley(), startSite(), launchChromium()]);
  const bot = await api('/bots', {
    method: 'POST',
    body: JSON.stringify({
      name: 'Northwind Bicycles Customer Service Assistant',
      settings: {
        allowed_domains: [new URL(shop.url).host],
        suggested_questions: ['Are frames covered against defects in materials and workmanship?'],
        leads: { enabled: true, triggers: { on_request: true } },
      },
    }),
  });
  botId = bot.id;
  await api(`/bots/${botId}/sources`, { method: 'POST', body: JSON.stringify({ name: 'warranty.md', content: GUIDE }) });
  shop.page = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title></head>
<body><h1>Shop</h1><script src="${parley.url}/widget.js" data-bot="${botId}" async></script></body></html>`;
  // Something on every page: a conversation waiting for a person, a lead, a webhook, a second person, a key.
  const asked = await (
    await fetch(`${parley.url}/api/v1/bots/${botId}/chat`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message: 'Are frames covered against defects in materials and workmanship?' }) })
  ).json();
  await fetch(`${parley.url}/api/v1/bots/${botId}/chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ message: 'I want to talk to a person about my order NW-2026-00042-express-delivery-upgrade', visitor_token: asked.visitor_token }),
  });
  conversationId = asked.conversation_id;
  await fetch(`${parley.url}/api/v1/bots/${botId}/leads`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ fields: { name: 'Alexandra Montgomery-Fitzgerald', email: 'alexandra.montgomery-fitzgerald@example-company.co.uk' }, trigger: 'request' }),
  });
  webhookId = (await api('/webhooks', { method: 'POST', body: JSON.stringify({ url: `${shop.url}/very/long/path/to/the/crm/integration/endpoint/for/parley/events`, events: ['lead.created'] }) })).id;
  await api('/users', { method: 'POST', body: JSON.stringify({ email: 'christopher.alexander@example-company.co.uk', role: 'agent', invite: true }) });
  await api('/keys', { method: 'POST', body: JSON.stringify({ name: 'Nightly export to the data warehouse', role: 'viewer' }) });
  await api(`/bots/${botId}/tests`, { method: 'POST', body: JSON.stringify({ question: 'Are frames covered against defects in materials and workmanship?', expect_source: LONG_TITLE }) });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([parley?.stop(), shop?.stop()]);
});

describe('the widget on a phone', () => {
  for (const width of [320, 360, 390, 430]) {
    it(`fits ${width} px with a long source chip, without sideways scrolling`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 740 }, isMobile: true, hasTouch: true });
      const page = consoleWatch.watch(await context.newPage());
      await page.goto(shop.url);
      await page.locator('parley-chat .launcher').click();
      await page.locator('parley-chat .suggestions button').first().click();
      const answer = page.locator('parley-chat .msg.bot:not(.greeting)').last();
      await answer.locator('.chip').first().waitFor();
      expect(await horizontalOverflow(page)).toEqual({ scrollWidth: width, clientWidth: width });
      const log = await page.evaluate(() => {
        const element = document.querySelector('parley-chat')!.shadowRoot!.querySelector('.log') as HTMLElement;
        return { scrollWidth: element.scrollWidth, clientWidth: element.clientWidth };
      });
      expect(log.scrollWidth).toBeLessThanOrEqual(log.clientWidth);
      const chip = await answer.locator('.chip').first().boundingBox();
      expect(chip!.x + chip!.width).toBeLessThanOrEqual(width);
      const bubble = await answer.locator('.bubble').boundingBox();
      expect(bubble!.x + bubble!.width).toBeLessThanOrEqual(width);
      await page.screenshot({ path: screenshotPath(`phone-widget-${width}.png`) });
      await context.close();
    });
  }
});

// Each page of the admin app and what shows it has loaded.
const PAGES: [string, (page: Page) => Promise<void>][] = [
  ['bots', (page) => page.getByRole('heading', { name: 'Bots' }).waitFor()],
  [`bots/BOT/settings`, (page) => page.getByRole('heading', { name: 'Live preview' }).waitFor()],
  [`bots/BOT/sources`, (page) => page.locator('tr', { hasText: 'warranty.md' }).waitFor()],
  [`bots/BOT/health`, (page) => page.getByRole('heading', { name: 'Knowledge health' }).waitFor()],
  [`bots/BOT/playground`, (page) => page.getByText('Ask your bot something').waitFor()],
  [`bots/BOT/tests`, (page) => page.locator('.test-case').first().waitFor()],
  [`bots/BOT/suggestions`, (page) => page.getByRole('heading', { name: /^Suggestions/ }).waitFor()],
  [`bots/BOT/conversations`, (page) => page.locator('tbody tr').first().waitFor()],
  [`bots/BOT/conversations/CONVERSATION`, (page) => page.locator('.transcript').waitFor()],
  [`bots/BOT/leads`, (page) => page.locator('tbody tr').first().waitFor()],
  [`bots/BOT/analytics`, (page) => page.locator('.kpis').waitFor()],
  ['inbox', (page) => page.locator('.inbox-list li').first().waitFor()],
  [`inbox/BOT/CONVERSATION`, (page) => page.locator('.inbox-detail .transcript li').first().waitFor()],
  ['webhooks', (page) => page.locator('tbody tr').first().waitFor()],
  [`webhooks/WEBHOOK`, (page) => page.getByRole('heading', { name: /^Delivery log/ }).waitFor()],
  ['team', (page) => page.getByRole('heading', { name: 'API keys' }).waitFor()],
  ['account', (page) => page.getByRole('heading', { name: 'Change your password' }).waitFor()],
];

describe('the admin app on a phone', () => {
  it('shows every page at 390 px without sideways scrolling, with Sign out on the screen', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = consoleWatch.watch(await context.newPage());
    await page.goto(parley.url + '/admin');
    expect(await horizontalOverflow(page)).toEqual({ scrollWidth: 390, clientWidth: 390 });
    await signIn(page, parley);
    const wide: string[] = [];
    for (const [path, loaded] of PAGES) {
      const hash = path.replace('BOT', botId).replace('CONVERSATION', conversationId).replace('WEBHOOK', webhookId);
      await page.goto(`${parley.url}/admin#/${hash}`);
      await loaded(page);
      const { scrollWidth } = await horizontalOverflow(page);
      if (scrollWidth > 390) wide.push(`${path}: ${scrollWidth} px`);
      const signOut = await page.getByRole('button', { name: 'Sign out' }).boundingBox();
      expect(signOut!.x + signOut!.width, path).toBeLessThanOrEqual(390);
      await page.screenshot({ path: screenshotPath(`phone-${path.replace(/\//g, '-').replace(/[A-Z]+/g, 'x')}.png`), fullPage: true });
    }
    expect(wide).toEqual([]);
    await context.close();
  });

  it('looks right at desktop width too', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = consoleWatch.watch(await context.newPage());
    await signIn(page, parley);
    for (const [path, loaded] of PAGES) {
      const hash = path.replace('BOT', botId).replace('CONVERSATION', conversationId).replace('WEBHOOK', webhookId);
      await page.goto(`${parley.url}/admin#/${hash}`);
      await loaded(page);
      expect((await horizontalOverflow(page)).scrollWidth, path).toBeLessThanOrEqual(1280);
      await page.screenshot({ path: screenshotPath(`desktop-${path.replace(/\//g, '-').replace(/[A-Z]+/g, 'x')}.png`), fullPage: true });
    }
    await context.close();
  });

  it('had no console errors', () => {
    expect(consoleWatch.unexpected).toEqual([]);
  });
});
