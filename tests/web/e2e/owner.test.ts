// Issue 18, the owner's first day, in headless Chromium against the real `parley` server:
// - the builder shows what visitors get: handoff ticked on a new bot means the widget's "Talk to a person" button,
//   with nothing else saved; off means the bot never offers a person;
// - allowed domains typed as owners type them (a port, a page's address, a trailing slash), what was stored said,
//   a refusal at its field in plain words; "Check my installation" on a site that is not allowed and on a page
//   without the snippet; the widget's console warning naming the setting on a site that is not allowed;
// - files: the picker takes PDF and Word, and a PDF printed from a blank tab (title "about:blank") is named by its
//   heading;
// - the Health check: a curated FAQ is not "very short", 2 MB of one repeated word is repetitive;
// - analytics: playground conversations are tests, left out by default;
// - leads: a phone number without a country code, read in the country of the visitor's browser language;
// - no console errors and no cancelled chat requests (net::ERR_ABORTED) in the widget, the playground or the demo.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { adminApi, ConsoleWatch, launchChromium, screenshotPath, signIn, startParley, startSite, type Parley, type Site } from './support';

const GUIDE = `# Shipping guide

## Costs

Shipping is free on orders over $75. Otherwise standard shipping costs $7.95.
`;

let parley: Parley;
let shop: Site;
let stranger: Site;
let browser: Browser;
let admin: BrowserContext;
let page: Page;
let botId = '';
const consoleWatch = new ConsoleWatch();
// Chat requests the browser gave up on (net::ERR_ABORTED and the like), with the page they were made from.
const failedChats: string[] = [];

const api = (path: string, init: RequestInit = {}): Promise<any> => adminApi<any>(parley, path, init);
const host = (site: Site) => new URL(site.url).host;
const snippet = () => `<script src="${parley.url}/widget.js" data-bot="${botId}" async></script>`;
const sitePage = (title: string, body: string) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

function watched(target: Page): Page {
  consoleWatch.watch(target);
  target.on('requestfailed', (request) => {
    if (request.url().endsWith('/chat')) failedChats.push(`${target.url()}: ${request.failure()?.errorText}`);
  });
  return target;
}

async function openBuilder(): Promise<void> {
  await page.goto(`${parley.url}/admin#/bots/${botId}/settings`);
  await page.reload();
  await page.getByRole('heading', { name: 'Live preview' }).waitFor();
}

async function save(): Promise<void> {
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved. Visitors see the changes' }).waitFor();
}

// A visitor on `site` (a fresh context: own storage), with the widget open.
async function visitor(site: Site, options: { locale?: string; width?: number } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 800 }, locale: options.locale });
  const visit = watched(await context.newPage());
  await visit.goto(site.url);
  await visit.locator('parley-chat .launcher').click();
  await visit.locator('parley-chat [role=dialog]').waitFor();
  return { context, page: visit };
}

async function ask(visit: Page, question: string): Promise<string> {
  const before = await visit.locator('parley-chat .msg.bot:not(.greeting)').count();
  await visit.locator('parley-chat textarea').fill(question);
  await visit.locator('parley-chat textarea').press('Enter');
  const answer = visit.locator('parley-chat .msg.bot:not(.greeting)').nth(before);
  await answer.locator('.feedback').waitFor();
  return (await answer.locator('.bubble').textContent()) ?? '';
}

beforeAll(async () => {
  [parley, shop, stranger, browser] = await Promise.all([startParley(true), startSite(), startSite(), launchChromium()]);
  admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = watched(await admin.newPage());
  await signIn(page, parley);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([parley?.stop(), shop?.stop(), stranger?.stop()]);
});

describe('a new bot does what its builder shows', () => {
  it('shows handoff ticked, and the widget has "Talk to a person" without saving that section', async () => {
    await page.getByLabel('New bot name').fill('Acme Help');
    await page.getByRole('button', { name: 'Create bot' }).click();
    await page.getByRole('heading', { name: 'Live preview' }).waitFor();
    botId = /#\/bots\/([^/]+)\//.exec(page.url())![1];
    await api(`/bots/${botId}/sources`, { method: 'POST', body: JSON.stringify({ name: 'shipping.md', content: GUIDE }) });
    const handoff = page.locator('section', { has: page.getByRole('heading', { name: 'Handoff to a person' }) });
    await expect(handoff.getByLabel('Let visitors ask for a person').isChecked()).resolves.toBe(true);
    await expect(handoff.textContent()).resolves.not.toContain('Save this section');
    // Only the site is saved; the handoff section is left as it came.
    await page.getByLabel('Allowed domains').fill(host(shop));
    await save();

    shop.page = sitePage('Acme Shop', snippet());
    const { context, page: visit } = await visitor(shop);
    await visit.locator('parley-chat .actions button', { hasText: 'Talk to a person' }).waitFor();
    await context.close();
  });

  it('says what it stored of the allowed domains, and puts a refusal at the field in plain words', async () => {
    await openBuilder();
    const domains = page.getByLabel('Allowed domains');
    await domains.fill(`localhost:8099\nhttps://www.shop.com/page\n${host(shop)}/\n`);
    await save();
    await page.getByRole('status').filter({ hasText: `Saved as: localhost:8099, https://www.shop.com, ${host(shop)}.` }).waitFor();
    await expect(domains.inputValue()).resolves.toBe(`localhost:8099\nhttps://www.shop.com\n${host(shop)}`);
    expect((await api(`/bots/${botId}`)).settings.allowed_domains).toEqual(['localhost:8099', 'https://www.shop.com', host(shop)]);

    consoleWatch.expect(/status of 400/);
    await domains.fill(`${host(shop)}\nshop com`);
    await page.getByRole('button', { name: 'Save changes' }).click();
    const error = page.locator('#builder-allowed_domains-error');
    await error.waitFor();
    await expect(error.textContent()).resolves.toMatch(/^"shop com" is not a website address\. Write the site, like example\.com/);
    await expect(error.textContent()).resolves.not.toMatch(/settings\.|allowed_domains/);
    await expect(domains.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(domains.getAttribute('aria-describedby')).resolves.toBe('builder-allowed_domains-error');
    await expect(page.locator('.save-bar').getByRole('alert').textContent()).resolves.toContain('Not saved: see the field marked in red above.');
    await page.locator('section', { has: page.getByRole('heading', { name: 'Embed on your site' }) }).screenshot({ path: screenshotPath('owner-domains-error.png') });
    await domains.fill(host(shop));
    await save();
  });

  it('checks an installation: a site that is not allowed, then fixed; a page without the snippet', async () => {
    stranger.page = sitePage('Stranger', snippet());
    const check = page.getByRole('group', { name: 'Check my installation' });
    await check.getByLabel('A page of your site where the chat should appear').fill(`${stranger.url}/contact`);
    await check.getByRole('button', { name: 'Check my installation' }).click();
    const result = check.getByRole('status', { name: 'Installation check' });
    await result.waitFor();
    await expect(result.textContent()).resolves.toContain(`The chat will not show on ${stranger.url}/contact.`);
    await expect(result.textContent()).resolves.toContain(`${host(stranger)} is not in the bot's allowed domains`);
    await expect(result.textContent()).resolves.toContain("The page has this bot's script tag.");
    await check.screenshot({ path: screenshotPath('owner-installation-check.png') });
    await check.getByRole('button', { name: `Add ${host(stranger)} to the allowed domains` }).click();
    await expect(page.getByLabel('Allowed domains').inputValue()).resolves.toBe(`${host(shop)}\n${host(stranger)}`);
    await save();
    await check.getByRole('button', { name: 'Check my installation' }).click();
    await check.getByRole('status', { name: 'Installation check' }).filter({ hasText: 'The chat can load on' }).waitFor();

    shop.page = sitePage('Acme Shop', '<p>No chat here yet.</p>');
    await check.getByLabel('A page of your site where the chat should appear').fill(host(shop));
    await check.getByRole('button', { name: 'Check my installation' }).click();
    await check.getByRole('status', { name: 'Installation check' }).filter({ hasText: 'The page has no chat script tag' }).waitFor();
    shop.page = sitePage('Acme Shop', snippet());
  });

  it('tells the site owner in the console why the widget is hidden on a site that is not allowed', async () => {
    const other = await startSite();
    try {
      other.page = sitePage('Elsewhere', snippet());
      const context = await browser.newContext();
      const visit = await context.newPage();
      const warnings: string[] = [];
      visit.on('console', (message) => {
        if (message.type() === 'warning') warnings.push(message.text());
      });
      consoleWatch.expect(/status of 403/);
      consoleWatch.watch(visit);
      await visit.goto(other.url);
      await expect.poll(() => warnings.join('\n')).toContain(`${host(other)} is not in the bot's "Allowed domains"`);
      expect(await visit.locator('parley-chat').count()).toBe(0);
      await context.close();
    } finally {
      await other.stop();
    }
  });

  it('never offers a person when handoff is off', async () => {
    await openBuilder();
    const handoff = page.locator('section', { has: page.getByRole('heading', { name: 'Handoff to a person' }) });
    const fallback = page.getByLabel('When the knowledge has no answer');
    await expect(fallback.getAttribute('placeholder')).resolves.toContain('connect you with a person');
    await handoff.getByLabel('Let visitors ask for a person').uncheck();
    await expect(fallback.getAttribute('placeholder')).resolves.not.toContain('person');
    await save();
    const { context, page: visit } = await visitor(shop);
    const answer = await ask(visit, 'Do you sell garden furniture made of teak?');
    expect(answer).not.toMatch(/person/i);
    const asked = await ask(visit, 'I want to talk to a person');
    expect(asked).not.toMatch(/connecting you/i);
    expect(await visit.locator('parley-chat .actions button', { hasText: 'Talk to a person' }).count()).toBe(0);
    await context.close();
    await handoff.getByLabel('Let visitors ask for a person').check();
    await save();
  });
});

describe('files and the Health check', () => {
  it('takes PDF and Word files in the picker, and names a PDF from a blank tab by its heading', async () => {
    await page.goto(`${parley.url}/admin#/bots/${botId}/sources`);
    const picker = page.getByLabel('Files to upload');
    const accept = (await picker.getAttribute('accept')) ?? '';
    for (const type of ['.pdf', '.docx', 'application/pdf', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document']) expect(accept).toContain(type);
    // "Save as PDF" of a page without a title: Chromium writes the tab's address, about:blank, as the PDF's title.
    const printer = await admin.newPage();
    await printer.setContent('<h1 style="font-size:32px">Frame warranty</h1><p style="font-size:14px">Every frame is covered for ten years against defects in materials and workmanship.</p>');
    const pdf = await printer.pdf();
    await printer.close();
    await picker.setInputFiles({ name: 'scan-0042.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.locator('.upload-done', { hasText: 'scan-0042.pdf' }).waitFor();
    const row = page.locator('tr', { hasText: 'scan-0042.pdf' });
    await row.getByRole('button', { name: 'scan-0042.pdf', exact: true }).click();
    await page.locator('.documents li', { hasText: 'Frame warranty' }).waitFor();

    await page.getByRole('link', { name: 'Playground' }).click();
    await page.getByPlaceholder('Ask a question as a visitor would…').fill('How long is a frame covered against defects?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    const chips = page.locator('.answer .chips').last();
    await chips.waitFor();
    await expect(chips.textContent()).resolves.toContain('Frame warranty');
    await expect(chips.textContent()).resolves.not.toContain('about:blank');
  });

  it('does not call a curated FAQ "very short", and reports 2 MB of one repeated word', async () => {
    await api(`/bots/${botId}/sources`, {
      method: 'POST',
      body: JSON.stringify({ name: 'faq.csv', content: 'question,answer\nDo you ship abroad?,Yes: to 30 countries.\nCan I pay by invoice?,Yes: for businesses.\n' }),
    });
    await api(`/bots/${botId}/sources`, { method: 'POST', body: JSON.stringify({ name: 'export.txt', content: 'lorem '.repeat(350_000) }) });
    await page.getByRole('link', { name: 'Health check' }).click();
    const repetitive = page.locator('section', { has: page.getByRole('heading', { name: 'Repetitive text with little information' }) });
    await repetitive.waitFor();
    await expect(repetitive.textContent()).resolves.toContain('export.txt');
    await expect(repetitive.textContent()).resolves.toContain('only 1 different word repeated');
    const short = page.locator('section', { has: page.getByRole('heading', { name: 'Very short documents' }) });
    if (await short.count()) await expect(short.textContent()).resolves.not.toContain('faq');
    await page.screenshot({ path: screenshotPath('owner-health.png'), fullPage: true });
  });
});

describe('analytics and leads', () => {
  it('marks playground conversations as tests and leaves them out of the analytics by default', async () => {
    const visit = await visitor(shop);
    await ask(visit.page, 'How much does shipping cost?');
    await visit.context.close();
    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.locator('tbody tr').first().waitFor();
    const rows = await page.locator('tbody tr').count();
    const tests = await page.locator('tbody tr', { has: page.locator('.pill-test') }).count();
    expect(tests).toBeGreaterThan(0); // the playground's question above
    expect(rows - tests).toBeGreaterThan(0); // the visitors'
    const visitors = rows - tests;
    await page.getByRole('link', { name: 'Analytics' }).click();
    const conversations = page.locator('.kpis .card').filter({ has: page.locator('dt', { hasText: /^Conversations$/ }) }).locator('dd');
    await conversations.waitFor();
    await expect(conversations.textContent()).resolves.toBe(String(visitors));
    await page.getByLabel('Include test conversations').check();
    await expect.poll(() => conversations.textContent()).toBe(String(rows));
  });

  it("reads a phone number without a country code in the country of the visitor's browser language", async () => {
    await api(`/bots/${botId}`, {
      method: 'PATCH',
      body: JSON.stringify({ settings: { leads: { enabled: true, fields: [{ name: 'name' }, { name: 'email' }, { name: 'phone', required: true }], triggers: { on_request: true } } } }),
    });
    const { context, page: visit } = await visitor(shop, { locale: 'en-US' });
    await visit.locator('parley-chat .actions button', { hasText: 'Leave your contact details' }).click();
    const form = visit.locator('parley-chat .lead-form');
    await form.waitFor();
    await expect(form.locator('#pw-lead-phone-hint').textContent()).resolves.toBe('Without a country code, we read it as a number in United States.');
    await form.locator('input[name=name]').fill('Pat Visitor');
    await form.locator('input[name=email]').fill('pat@example.com');
    await form.locator('input[name=phone]').fill('(650) 253-0000');
    await form.getByRole('button', { name: 'Send my details' }).click();
    await visit.locator('parley-chat .msg', { hasText: "Thank you! We'll be in touch." }).waitFor();
    const leads = await api(`/bots/${botId}/leads`);
    expect(leads.leads[0].phone).toBe('+16502530000');
    await context.close();
  });
});

describe('noise', () => {
  it('answers in the demo without cancelled requests', async () => {
    const context = await browser.newContext();
    const demo = watched(await context.newPage());
    await demo.goto(parley.url + '/demo');
    await demo.locator('parley-chat .launcher').click();
    await ask(demo, 'How much is shipping?');
    await ask(demo, 'How long does delivery take?');
    await context.close();
  });

  it('had no console errors and no cancelled chat requests but those provoked on purpose', () => {
    expect(failedChats).toEqual([]);
    expect(consoleWatch.unexpected).toEqual([]);
  });
});
