// Data governance in the admin app (issue 17), in headless Chromium against the real `parley` server: the owner
// downloads a rated conversation for fine-tuning (personal data redacted, or not when unticked), sets the
// workspace's retention (a negative number is refused at its field), and erases a visitor by their conversation id,
// which the server confirms is gone. At 390 px and at desktop width without sideways scrolling; screenshots in
// test-artifacts/screenshots/data-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { adminApi, ConsoleWatch, horizontalOverflow, launchChromium, screenshotPath, signIn, startParley, type Parley } from './support';

const GUIDE = '# Shipping\n\nShipping is free on orders over $75. Otherwise it costs $7.95.\n';

let parley: Parley;
let browser: Browser;
let owner: BrowserContext;
let page: Page;
let botId = '';
let conversationId = '';
const consoleWatch = new ConsoleWatch();

const api = (path: string, init: RequestInit = {}): Promise<any> => adminApi<any>(parley, path, init);

beforeAll(async () => {
  [parley, browser] = await Promise.all([startParley(), launchChromium()]);
  botId = (await api('/bots', { method: 'POST', body: JSON.stringify({ name: 'Northwind Bicycles' }) })).id;
  await api(`/bots/${botId}/sources`, { method: 'POST', body: JSON.stringify({ name: 'shipping.md', content: GUIDE }) });
  // A visitor asks (leaving their email in the question) and finds the answer helpful.
  const chat = await (
    await fetch(`${parley.url}/api/v1/bots/${botId}/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'How much is shipping? I am jo@example.org' }),
    })
  ).json();
  conversationId = chat.conversation_id;
  const rated = await fetch(`${parley.url}/api/v1/widget/${botId}/feedback`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': chat.visitor_token },
    body: JSON.stringify({ message_id: chat.message_id, rating: 1 }),
  });
  expect(rated.status).toBe(200);
  owner = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = consoleWatch.watch(await owner.newPage());
  await signIn(page, parley);
});

afterAll(async () => {
  await browser?.close();
  await parley?.stop();
});

describe('data governance in the admin app', () => {
  it('downloads rated conversations for fine-tuning, redacted unless unticked', async () => {
    await page.goto(`${parley.url}/admin#/bots/${botId}/conversations`);
    const section = page.getByRole('region', { name: 'Export for fine-tuning' });
    await section.waitFor();
    const link = section.getByRole('link', { name: 'Download JSONL' });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const body = await owner.request.get(parley.url + (await link.getAttribute('href')));
    expect(body.status()).toBe(200);
    const line = JSON.parse((await body.text()).split('\n')[0]);
    expect(line.messages.map((message: { role: string }) => message.role)).toEqual(['system', 'user', 'assistant']);
    expect(line.messages[1].content).toBe('How much is shipping? I am [EMAIL]');
    expect(download.suggestedFilename()).toBe(`finetune-${botId}.jsonl`);
    await section.getByLabel(/Replace personal data/).uncheck();
    await expect(link.getAttribute('href')).resolves.toContain('redact=0');
    const raw = await owner.request.get(parley.url + (await link.getAttribute('href')));
    expect(await raw.text()).toContain('jo@example.org');
    await page.screenshot({ path: screenshotPath('data-finetune-export.png'), fullPage: true });
  });

  it('sets the retention, refusing a negative number at its field', async () => {
    await page.getByRole('link', { name: 'Data', exact: true }).click();
    await page.getByRole('heading', { name: 'Data and privacy' }).waitFor();
    const form = page.getByRole('form', { name: 'Retention' });
    const conversations = form.getByLabel('Conversations and their messages (days)');
    // The form fills in once the stored retention has loaded: its button is enabled then.
    await form.locator('button[type=submit]:not([disabled])').waitFor();
    await expect(conversations.inputValue()).resolves.toBe('0');
    await conversations.fill('-3');
    await form.getByRole('button', { name: 'Save retention' }).click();
    await expect(page.locator('#retention-conversations_days-error').textContent()).resolves.toContain('0 or more');
    await expect(conversations.getAttribute('aria-invalid')).resolves.toBe('true');
    expect((await api('/workspace/retention')).conversations_days).toBe(0);
    await conversations.fill('30');
    await form.getByLabel('Leads (days)').fill('365');
    await form.getByRole('button', { name: 'Save retention' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(await api('/workspace/retention')).toEqual({ conversations_days: 30, leads_days: 365 });
  });

  it('erases a visitor by their conversation id and says what went', async () => {
    const form = page.getByRole('form', { name: "Erase a person's data" });
    const erase = form.getByRole('button', { name: 'Erase' });
    await expect(erase.isDisabled()).resolves.toBe(true); // not before the confirmation
    await form.getByLabel('Visitor (conversation id)').check();
    await form.getByLabel('Conversation id or visitor token').fill(conversationId);
    await form.getByLabel(/I understand/).check();
    await erase.click();
    await form.getByRole('status').filter({ hasText: 'Erased 1 conversation (2 messages), 0 leads' }).waitFor();
    await page.screenshot({ path: screenshotPath('data-desktop.png'), fullPage: true });
    await expect(fetch(`${parley.url}/api/v1/bots/${botId}/conversations/${conversationId}`, { headers: { Authorization: `Bearer ${parley.apiKey}` } }).then((r) => r.status)).resolves.toBe(404);
    // Again: nothing left, said plainly.
    await form.getByLabel('Conversation id or visitor token').fill(conversationId);
    await form.getByLabel(/I understand/).check();
    await erase.click();
    await form.getByRole('status').filter({ hasText: 'Nothing to erase' }).waitFor();
    const log = await api('/audit?limit=1000');
    const actions = log.entries.map((entry: { action: string }) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(['conversations.export_finetune', 'workspace.retention', 'data.erase']));
    expect(JSON.stringify(log)).not.toContain('jo@example.org');
  });

  it('fits a phone screen (390 px) without sideways scrolling', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const small = consoleWatch.watch(await phone.newPage());
    await signIn(small, parley);
    await small.goto(`${parley.url}/admin#/data`);
    await small.getByRole('heading', { name: 'Data and privacy' }).waitFor();
    const widths = await horizontalOverflow(small);
    expect(widths.scrollWidth).toBeLessThanOrEqual(widths.clientWidth);
    await small.screenshot({ path: screenshotPath('data-390.png'), fullPage: true });
    await small.goto(`${parley.url}/admin#/bots/${botId}/conversations`);
    await small.getByRole('region', { name: 'Export for fine-tuning' }).waitFor();
    const listWidths = await horizontalOverflow(small);
    expect(listWidths.scrollWidth).toBeLessThanOrEqual(listWidths.clientWidth);
    await small.screenshot({ path: screenshotPath('data-finetune-390.png'), fullPage: true });
    await phone.close();
    expect(consoleWatch.unexpected).toEqual([]);
  });
});
