// Adding a website in the admin app, in headless Chromium against the real `parley` server: a small shop site served
// by this test on loopback (linked pages, a sitemap, every page a little slow so the crawl can be watched) is added
// through the Knowledge page's form; its crawl's live progress reaches done; the bot answers from a crawled page;
// "Sync now" resyncs it and the schedule is changed; a second, endless site is crawled and cancelled; and URLs the
// server refuses show its error in the form, on the field.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { adminApi, launchChromium, screenshotPath, signIn, startParley, type Parley } from './support';

interface TestSite {
  url: string;
  requests: string[];
  stop(): Promise<void>;
}

function html(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>
<nav><a href="/">Home</a> <a href="/shipping">Shipping</a> <a href="/returns">Returns</a> <a href="/contact">Contact</a></nav>
<main><h1>${title}</h1>${body}</main></body></html>`;
}

const SHOP_PAGES: Record<string, string> = {
  '/': html('Acme Outdoor', '<p>Acme Outdoor sells tents, sleeping bags and camping stoves from our shop in Leeds.</p>'),
  '/shipping': html('Shipping', '<p>Standard shipping costs $7.95 and is free on orders over $75. Parcels arrive within 3 to 5 business days.</p>'),
  '/returns': html(
    'Returns policy',
    '<p>You can return any unused item within 45 days of delivery for a full refund. Print the prepaid label from your order page and drop the parcel at any post office.</p>',
  ),
  '/contact': html('Contact us', '<p>Call the Acme Outdoor team on 0113 496 0000, Monday to Friday from 9am to 5pm.</p><p><a href="/faq">FAQ</a></p>'),
  // Only in the sitemap and linked from /contact.
  '/faq': html('Frequently asked questions', '<p>Gift cards from Acme Outdoor never expire and can be used online or in the shop.</p>'),
};

// Serves `pages` (and /sitemap.xml listing them); a path not in `pages` is answered by `fallback` or 404. Each page
// takes `delayMs`, so that a crawl lasts long enough to be seen in progress.
async function serveSite(pages: Record<string, string>, delayMs: number, fallback?: (path: string) => string | null): Promise<TestSite> {
  const site: TestSite = { url: '', requests: [], stop: async () => {} };
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    site.requests.push(path);
    if (path === '/sitemap.xml') {
      const urls = Object.keys(pages).map((page) => `<url><loc>${site.url}${page}</loc></url>`);
      response.writeHead(200, { 'Content-Type': 'application/xml' });
      response.end(`<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls.join('')}</urlset>`);
      return;
    }
    const body = pages[path] ?? fallback?.(path) ?? null;
    setTimeout(() => {
      if (body === null) {
        response.writeHead(404, { 'Content-Type': 'text/plain' });
        response.end('not found');
      } else {
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        response.end(body);
      }
    }, path === '/robots.txt' ? 0 : delayMs);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const address = server.address();
  site.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  site.stop = () =>
    new Promise((closed) => {
      server.closeAllConnections();
      server.close(() => closed());
    });
  return site;
}

const api = (path: string, init: RequestInit = {}): Promise<any> => adminApi<any>(parley, path, init);

let parley: Parley;
let shop: TestSite;
let endless: TestSite;
let browser: Browser;
let page: Page;
let botId = '';

beforeAll(async () => {
  [parley, shop, endless, browser] = await Promise.all([
    startParley(),
    serveSite(SHOP_PAGES, 800),
    // Every page links to the next one: a crawl that goes on until it is cancelled.
    serveSite({}, 400, (path) => {
      const match = /^\/(?:page\/(\d+))?$/.exec(path);
      if (!match) return null;
      const n = Number(match[1] ?? 0);
      return html(`Page ${n}`, `<p>This is page number ${n} of a very long catalogue.</p><p><a href="/page/${n + 1}">Next page</a></p>`);
    }),
    launchChromium(),
  ]);
  botId = (await api('/bots', { method: 'POST', body: JSON.stringify({ name: 'Acme Outdoor' }) })).id;
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(page, parley);
  await page.goto(`${parley.url}/admin#/bots/${botId}/sources`);
  await page.getByRole('heading', { name: 'Add a website or sitemap' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([parley?.stop(), shop?.stop(), endless?.stop()]);
});

describe('adding a website', () => {
  it('shows the server\'s error on the field when the address is not one it crawls', async () => {
    const address = page.getByLabel('Website address');
    await address.fill('not a website');
    await page.getByRole('button', { name: 'Add website' }).click();
    const alert = page.locator('#crawl-error');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Website address: not an absolute URL: not a website');
    expect(await address.getAttribute('aria-invalid')).toBe('true');
    expect(await address.getAttribute('aria-describedby')).toBe('crawl-error');

    await address.fill('ftp://files.example.com/');
    await page.getByRole('button', { name: 'Add website' }).click();
    await expect.poll(() => alert.textContent()).toContain('only http and https URLs are crawled');

    // A sitemap on another site than the start URL: the server's error, on the form.
    await address.fill(shop.url + '/');
    await page.getByLabel('Sitemap address').fill('https://elsewhere.example.com/sitemap.xml');
    await page.getByRole('button', { name: 'Add website' }).click();
    await expect.poll(() => alert.textContent()).toContain('the sitemap must be on the same site');
    expect(await page.getByLabel('Sitemap address').getAttribute('aria-invalid')).toBe('true');
    expect(await address.getAttribute('aria-invalid')).toBeNull();
    await page.screenshot({ path: screenshotPath('sources-01-invalid-url.png'), fullPage: true });
    // Nothing was added.
    expect((await api(`/bots/${botId}/sources`)).sources).toEqual([]);
  });

  it('crawls the site with live progress until done, and lists it with its last sync', async () => {
    await page.getByLabel('Website address').fill(shop.url + '/');
    await page.getByLabel('Sitemap address').fill(shop.url + '/sitemap.xml');
    await page.getByLabel('Keep it up to date').selectOption('off');
    await page.getByLabel('Page limit').fill('50');
    await page.getByRole('button', { name: 'Add website' }).click();
    await expect(page.locator('#crawl-error').count()).resolves.toBe(0);

    const job = page.locator('.crawl-job', { hasText: shop.url });
    const status = job.getByRole('status');
    // Seen while it runs (each page takes 800 ms), then done.
    await status.filter({ hasText: /Crawling: \d+ pages? done, 0 failed, \d+ found/ }).waitFor({ timeout: 30_000 });
    expect(await status.getAttribute('aria-live')).toBe('polite');
    await page.screenshot({ path: screenshotPath('sources-02-crawling.png'), fullPage: true });
    await status.filter({ hasText: 'Done: 5 added, 0 updated, 0 unchanged, 0 removed, 0 failed' }).waitFor({ timeout: 60_000 });
    for (const path of ['/', '/shipping', '/returns', '/contact', '/faq', '/sitemap.xml']) expect(shop.requests).toContain(path);

    const row = page.locator('tr:not(.details)', { hasText: shop.url });
    await row.locator('.pill', { hasText: 'ready' }).waitFor();
    await expect(row.textContent()).resolves.toContain('Last sync: Done: 5 added');
    await row.getByRole('button', { name: shop.url + '/', exact: true }).click();
    await page.locator('.documents li', { hasText: 'Returns policy' }).waitFor();
    await page.screenshot({ path: screenshotPath('sources-03-crawled.png'), fullPage: true });
  });

  it('answers a question from a crawled page', async () => {
    const reply = await fetch(`${parley.url}/api/v1/bots/${botId}/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'How many days do I have to return an item?' }),
    });
    expect(reply.status).toBe(200);
    const answer = await reply.json();
    expect(answer.mode).not.toBe('fallback');
    expect(answer.answer).toContain('45 days');
    expect(answer.sources.map((source: { url: string }) => source.url)).toContain(shop.url + '/returns');
  });

  it('resyncs on "Sync now" and changes the schedule', async () => {
    const row = page.locator('tr:not(.details)', { hasText: shop.url });
    shop.requests.length = 0;
    await row.getByRole('button', { name: `Sync ${shop.url}/ now` }).click();
    const status = page.locator('.crawl-job', { hasText: shop.url }).getByRole('status');
    await status.filter({ hasText: 'Done: 0 added, 0 updated, 5 unchanged, 0 removed, 0 failed' }).waitFor({ timeout: 60_000 });
    expect(shop.requests).toContain('/returns');
    await expect.poll(() => row.textContent()).toContain('Last sync: Done: 0 added, 0 updated, 5 unchanged');
    const syncs = (await api(`/bots/${botId}/sources/${(await api(`/bots/${botId}/sources`)).sources[0].id}/syncs`)).syncs;
    // The record of the source's syncs, newest first: the resync and the first crawl.
    expect(syncs.map((sync: { state: string; result: { added: number; unchanged: number } }) => [sync.state, sync.result.added, sync.result.unchanged])).toEqual([
      ['succeeded', 0, 5],
      ['succeeded', 5, 0],
    ]);

    expect(await row.textContent()).not.toContain('Next sync');
    await row.getByLabel(`Resync schedule of ${shop.url}/`).selectOption('daily');
    await row.getByText('Next sync:').waitFor();
    const [source] = (await api(`/bots/${botId}/sources`)).sources;
    expect(source.crawl.schedule).toBe('daily');
    const hoursAway = (Date.parse(source.next_sync_at) - Date.now()) / 3_600_000;
    expect(hoursAway).toBeGreaterThan(23);
    expect(hoursAway).toBeLessThanOrEqual(24);
  });

  it('cancels a crawl that is running', async () => {
    await page.getByLabel('Website address').fill(endless.url);
    await page.getByLabel('Sitemap address').fill('');
    await page.getByRole('button', { name: 'Add website' }).click();
    const job = page.locator('.crawl-job', { hasText: endless.url });
    await job.getByRole('status').filter({ hasText: /Crawling: [1-9]\d* pages? done/ }).waitFor({ timeout: 30_000 });
    await job.getByRole('button', { name: `Cancel the crawl of ${endless.url}/` }).click();
    await job.getByRole('status').filter({ hasText: /Cancelled after \d+ pages?; what was indexed stays/ }).waitFor({ timeout: 30_000 });
    const requested = endless.requests.length;
    await new Promise((wait) => setTimeout(wait, 1500));
    expect(endless.requests.length).toBeLessThanOrEqual(requested + 2); // at most what was in flight
    const jobs = (await api(`/bots/${botId}/jobs`)).jobs;
    expect(jobs[0].state).toBe('cancelled');
    await page.screenshot({ path: screenshotPath('sources-04-cancelled.png'), fullPage: true });
  });
});
