// Learning from misses and curated Q&A in the admin app, in headless Chromium against the real `parley` server:
// visitors' declined questions show on the Suggestions tab grouped with counts and wordings; an empty answer is
// refused at its field and nothing changes; an answer (with "also add as a test") takes the suggestion off the list
// and the bot answers it at once; "Improve this answer" in the playground and in a transcript teaches a better
// answer; on the Knowledge tab a pasted text becomes a source and the Q&A pairs are edited and deleted one by one. A
// viewer sees suggestions without controls. At 390 px and at desktop width without sideways scrolling; screenshots
// in test-artifacts/screenshots/suggestions-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { adminApi, ConsoleWatch, horizontalOverflow, launchChromium, screenshotPath, signIn, startParley, type Parley } from './support';

const WARRANTY = `# Frame warranty

Frames and forks are covered for ten years against defects in materials and workmanship.
`;
const GIFT_CARDS = 'Do you sell gift cards?';
const GIFT_CARD_ANSWER = 'Yes: gift cards of 25, 50 or 100 euros, sent by email.';

let parley: Parley;
let browser: Browser;
let owner: BrowserContext;
let page: Page;
let botId = '';
const consoleWatch = new ConsoleWatch();

const api = (path: string, init: RequestInit = {}): Promise<any> => adminApi<any>(parley, path, init);
const suggestion = (question: string) => page.locator('.suggestion', { hasText: question });

// A visitor's question through the public chat endpoint (not the playground's: those are tests, left out).
async function visitorAsks(message: string): Promise<any> {
  const response = await fetch(`${parley.url}/api/v1/bots/${botId}/chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ message }),
  });
  expect(response.status).toBe(200);
  return response.json();
}

beforeAll(async () => {
  [parley, browser] = await Promise.all([startParley(), launchChromium()]);
  botId = (await api('/bots', { method: 'POST', body: JSON.stringify({ name: 'Northwind Bicycles' }) })).id;
  await api(`/bots/${botId}/sources`, { method: 'POST', body: JSON.stringify({ name: 'warranty.md', content: WARRANTY }) });
  for (const question of [GIFT_CARDS, 'gift card for sale?', GIFT_CARDS, 'Can I rent a tandem for the weekend?']) {
    expect((await visitorAsks(question)).mode).toBe('fallback');
  }
  owner = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = consoleWatch.watch(await owner.newPage());
  await signIn(page, parley);
  await page.goto(`${parley.url}/admin#/bots/${botId}/settings`);
  await page.getByRole('link', { name: 'Suggestions' }).click();
  await page.getByRole('heading', { name: 'Suggestions (2)' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await parley?.stop();
});

describe('the Suggestions tab', () => {
  it('lists the misses grouped by meaning, most asked first, with counts and wordings', async () => {
    const items = page.locator('.suggestion .question');
    await expect(items.allTextContents()).resolves.toEqual([GIFT_CARDS, 'Can I rent a tandem for the weekend?']);
    await expect(suggestion(GIFT_CARDS).getByLabel('Asked 3 times').count()).resolves.toBe(1);
    await expect(suggestion(GIFT_CARDS).getByRole('list', { name: 'Also asked as' }).textContent()).resolves.toBe('“gift card for sale?”');
    await expect(suggestion(GIFT_CARDS).textContent()).resolves.toContain('3 declined');
    await page.screenshot({ path: screenshotPath('suggestions-desktop.png'), fullPage: true });
  });

  it('refuses an empty answer at its field, and changes nothing', async () => {
    consoleWatch.expect(/status of 400/);
    await page.getByRole('button', { name: `Answer "${GIFT_CARDS}"` }).click();
    const form = suggestion(GIFT_CARDS).getByRole('form', { name: 'Teach the bot an answer' });
    await expect(form.getByLabel('Question').inputValue()).resolves.toBe(GIFT_CARDS);
    await form.getByRole('button', { name: 'Save answer' }).click();
    const refusal = form.getByRole('alert');
    await expect(refusal.textContent()).resolves.toBe('The answer is empty.');
    await expect(form.getByLabel('Answer').getAttribute('aria-invalid')).resolves.toBe('true');
    expect((await api(`/bots/${botId}/qa`)).pairs).toEqual([]);
    expect((await api(`/bots/${botId}/suggestions`)).suggestions.length).toBe(2);
  });

  it('answers a suggestion with a test: it leaves the list and the bot answers at once', async () => {
    const form = suggestion(GIFT_CARDS).getByRole('form', { name: 'Teach the bot an answer' });
    await form.getByLabel('Answer').fill(GIFT_CARD_ANSWER);
    await form.getByLabel('Also add as a test').check();
    await form.getByRole('button', { name: 'Save answer' }).click();
    await page.getByRole('status').filter({ hasText: `The bot now answers "${GIFT_CARDS}", and a test checks it.` }).waitFor();
    await page.getByRole('heading', { name: 'Suggestions (1)' }).waitFor();
    await expect(suggestion(GIFT_CARDS).count()).resolves.toBe(0);
    const reply = await visitorAsks('gift card for sale?');
    expect(reply.mode).toBe('faq');
    expect(reply.answer).toBe(GIFT_CARD_ANSWER);
    const tests = (await api(`/bots/${botId}/tests`)).cases;
    expect(tests.map((test: any) => test.question)).toEqual([GIFT_CARDS]);
  });

  it('shows a viewer the suggestions without controls', async () => {
    const { password } = await api('/users', { method: 'POST', body: JSON.stringify({ email: 'vera@example.com', role: 'viewer', invite: false }) });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const viewer = consoleWatch.watch(await context.newPage());
    await signIn(viewer, parley, { email: 'vera@example.com', password });
    await viewer.goto(`${parley.url}/admin#/bots/${botId}/suggestions`);
    await viewer.getByRole('heading', { name: 'Suggestions (1)' }).waitFor();
    await viewer.getByText('Owners and admins answer suggestions.').waitFor();
    await expect(viewer.getByRole('button', { name: /^Answer/ }).count()).resolves.toBe(0);
    await context.close();
  });
});

describe('Improve this answer', () => {
  it('teaches a better answer from the playground', async () => {
    await page.getByRole('link', { name: 'Playground' }).click();
    await page.getByPlaceholder('Ask a question as a visitor would…').fill('How long are frames covered?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await page.locator('.turn .meta').first().waitFor();
    await page.getByRole('button', { name: 'Improve this answer' }).click();
    const form = page.getByRole('form', { name: 'Teach the bot an answer' });
    await expect(form.getByLabel('Question').inputValue()).resolves.toBe('How long are frames covered?');
    await expect(form.getByLabel('Answer').inputValue()).resolves.toContain('ten years');
    await form.getByLabel('Answer').fill('Ten years, frames and forks, from the day of purchase.');
    await form.getByRole('button', { name: 'Save answer' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: the bot now answers "How long are frames covered?"' }).waitFor();
    await page.getByPlaceholder('Ask a question as a visitor would…').fill('How long are frames covered?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await page.locator('.turn').nth(1).getByText('Ten years, frames and forks, from the day of purchase.').waitFor();
  });

  it('teaches a better answer from a transcript', async () => {
    const declined = await visitorAsks('Can I rent a tandem for the weekend?');
    await page.goto(`${parley.url}/admin#/bots/${botId}/conversations/${declined.conversation_id}`);
    await page.locator('.transcript').waitFor();
    await page.getByRole('button', { name: 'Improve this answer' }).click();
    const form = page.getByRole('form', { name: 'Teach the bot an answer' });
    await expect(form.getByLabel('Question').inputValue()).resolves.toBe('Can I rent a tandem for the weekend?');
    await expect(form.getByLabel('Answer').inputValue()).resolves.toBe(''); // a decline is no answer to start from
    await form.getByLabel('Answer').fill('Yes: tandems are 60 euros for a weekend at the Leeds shop.');
    await form.getByRole('button', { name: 'Save answer' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: the bot now answers' }).waitFor();
    expect((await visitorAsks('Can I rent a tandem for the weekend?')).answer).toBe('Yes: tandems are 60 euros for a weekend at the Leeds shop.');
    // The pair typed for a known miss settled its suggestion too.
    expect((await api(`/bots/${botId}/suggestions`)).suggestions).toEqual([]);
  });
});

describe('curated knowledge on the Knowledge tab', () => {
  it('adds a pasted text as a source the bot answers from', async () => {
    await page.goto(`${parley.url}/admin#/bots/${botId}/sources`);
    const form = page.getByRole('form', { name: 'Paste a text' });
    await form.getByLabel('Name').fill('Holiday hours');
    await form.getByLabel('Text').fill('# Holiday hours\n\nOn public holidays the Leeds shop opens from 11am to 3pm.\n');
    await form.getByRole('button', { name: 'Add text' }).click();
    await form.getByRole('status').filter({ hasText: 'Added "Holiday hours.md"' }).waitFor();
    await page.locator('tr', { hasText: 'Holiday hours.md' }).waitFor();
    expect((await visitorAsks('When do you open on public holidays?')).answer).toContain('11am to 3pm');
  });

  it('lists, edits and deletes Q&A pairs one by one', async () => {
    const pairs = page.getByRole('list', { name: 'Q&A pairs' });
    await page.getByRole('heading', { name: 'Q&A pairs (3)' }).waitFor();
    await expect(pairs.locator('.qa-pair .question').allTextContents()).resolves.toEqual([
      GIFT_CARDS,
      'How long are frames covered?',
      'Can I rent a tandem for the weekend?',
    ]);
    await page.getByRole('button', { name: `Edit "${GIFT_CARDS}"` }).click();
    const edit = page.getByRole('form', { name: `Edit "${GIFT_CARDS}"` });
    await edit.getByLabel('Answer').fill('Yes, from 10 to 500 euros, in the shop or by email.');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: `Saved "${GIFT_CARDS}".` }).waitFor();
    expect((await visitorAsks(GIFT_CARDS)).answer).toBe('Yes, from 10 to 500 euros, in the shop or by email.');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete "Can I rent a tandem for the weekend?"' }).click();
    await page.getByRole('heading', { name: 'Q&A pairs (2)' }).waitFor();
    expect((await visitorAsks('Can I rent a tandem for the weekend?')).mode).toBe('fallback');
    await page.screenshot({ path: screenshotPath('suggestions-knowledge-desktop.png'), fullPage: true });
  });

  it('fits a phone (390 px) without sideways scrolling', async () => {
    await visitorAsks('Doyousellgiftcardsforthewholefamilyincludinggrandparentsandcousinsandtheirdogsinbulk?');
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phone = consoleWatch.watch(await context.newPage());
    await signIn(phone, parley);
    for (const [tab, loaded] of [
      ['suggestions', () => phone.getByRole('heading', { name: 'Suggestions (2)' }).waitFor()],
      ['sources', () => phone.getByRole('heading', { name: 'Q&A pairs (2)' }).waitFor()],
    ] as const) {
      await phone.goto(`${parley.url}/admin#/bots/${botId}/${tab}`);
      await loaded();
      if (tab === 'suggestions') await phone.getByRole('button', { name: /^Answer "Doyousell/ }).click();
      else await phone.getByRole('button', { name: `Edit "${GIFT_CARDS}"` }).click();
      const { scrollWidth, clientWidth } = await horizontalOverflow(phone);
      expect(scrollWidth, tab).toBeLessThanOrEqual(clientWidth);
      expect(clientWidth).toBe(390);
      await phone.screenshot({ path: screenshotPath(`suggestions-phone-${tab}.png`), fullPage: true });
    }
    await context.close();
  });

  it('had no console errors', () => {
    expect(consoleWatch.unexpected).toEqual([]);
  });
});
