// A bot's test suite in the admin app ("Tests" tab), in headless Chromium against the real `parley` server: the owner
// adds a test the bot passes and one it fails, and a test with no expectation, which the server refuses in plain words
// shown at the expectations; runs them and sees 1 passed, 1 failed and why; adds the missing knowledge and runs again, and
// the failing test shows it changed; removes a test. A viewer sees the tests but no controls. At 390 px and at
// desktop width without sideways scrolling; screenshots in test-artifacts/screenshots/tests-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { adminApi, ConsoleWatch, horizontalOverflow, launchChromium, screenshotPath, signIn, startParley, type Parley } from './support';

const WARRANTY = `# Frame warranty

Frames and forks are covered for ten years against defects in materials and workmanship.
`;
const PASSING = 'Are frames covered against defects?';
const FAILING = 'Do you deliver to the moon by rocket?';

let parley: Parley;
let browser: Browser;
let owner: BrowserContext;
let page: Page;
let botId = '';
const consoleWatch = new ConsoleWatch();

const api = (path: string, init: RequestInit = {}): Promise<any> => adminApi<any>(parley, path, init);
const testItem = (question: string) => page.locator('.test-case', { hasText: question });
const summary = () => page.locator('.test-summary');

async function addTest(question: string, expectations: { source?: string; text?: string }): Promise<void> {
  const form = page.getByRole('form', { name: 'Add a test' });
  await form.getByLabel('Question', { exact: true }).fill(question);
  await form.getByLabel('Cites a source whose title or address contains').fill(expectations.source ?? '');
  await form.getByLabel('Contains the phrase').fill(expectations.text ?? '');
  await form.getByRole('button', { name: 'Add test' }).click();
}

beforeAll(async () => {
  [parley, browser] = await Promise.all([startParley(), launchChromium()]);
  botId = (await api('/bots', { method: 'POST', body: JSON.stringify({ name: 'Northwind Bicycles' }) })).id;
  await api(`/bots/${botId}/sources`, { method: 'POST', body: JSON.stringify({ name: 'warranty.md', content: WARRANTY }) });
  owner = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = consoleWatch.watch(await owner.newPage());
  await signIn(page, parley);
  await page.goto(`${parley.url}/admin#/bots/${botId}/settings`);
  await page.getByRole('link', { name: 'Tests' }).click();
  await page.getByRole('heading', { name: 'Test suite' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await parley?.stop();
});

describe('the Tests tab', () => {
  it('shows the refusal of a test without an expectation, in plain words, and adds nothing', async () => {
    consoleWatch.expect(/status of 400/);
    await page.getByText('No tests yet').waitFor();
    await addTest(PASSING, {});
    // At the expectations, which are marked invalid and point at it.
    const refusal = page.locator('#test-expectations-error');
    await expect(refusal.textContent()).resolves.toBe('A test case needs an expectation: an expected source, an expected text, or a decline.');
    await expect(refusal.getAttribute('role')).resolves.toBe('alert');
    const expectations = page.getByRole('group', { name: 'A good answer (at least one)' });
    await expect(expectations.getAttribute('aria-describedby')).resolves.toBe('test-expectations-error');
    await expect(expectations.getByLabel('Contains the phrase').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.screenshot({ path: screenshotPath('tests-refused.png') });
    expect((await api(`/bots/${botId}/tests`)).cases).toEqual([]);
    await page.getByText('No tests yet').waitFor();
  });

  it('adds a test the bot passes and one it fails, runs them: 1 passed, 1 failed, and why', async () => {
    await addTest(PASSING, { source: 'warranty.md', text: 'ten years' });
    await page.getByRole('status').filter({ hasText: `Added the test "${PASSING}".` }).waitFor();
    // Focus is back on the question, ready for the next test.
    await expect(page.evaluate(() => (document.activeElement as HTMLInputElement).labels?.[0]?.textContent)).resolves.toContain('Question');
    await addTest(FAILING, { text: 'rocket' });
    await page.getByRole('heading', { name: 'Tests (2)' }).waitFor();
    await expect(testItem(FAILING).textContent()).resolves.toContain('A good answer contains “rocket”');
    await expect(testItem(PASSING).textContent()).resolves.toContain('cites a source matching “warranty.md” · contains “ten years”');
    await testItem(PASSING).getByText('Not run yet').waitFor();

    await page.getByRole('button', { name: 'Run tests' }).click();
    await summary().getByText('1 passed').waitFor();
    await summary().getByText('1 failed').waitFor();
    await expect(summary().textContent()).resolves.toMatch(/^Ran 2 tests in (under 1|\d+) ms: 1 passed 1 failed$/);
    await testItem(PASSING).getByText('Passed', { exact: true }).waitFor();
    await testItem(FAILING).getByText('Failed', { exact: true }).waitFor();
    await expect(testItem(FAILING).getByRole('list', { name: 'Why it failed' }).textContent()).resolves.toBe('the answer does not contain "rocket"');
    // The answer and its sources, behind a disclosure.
    const answer = testItem(PASSING).locator('details');
    await answer.locator('summary').click();
    await expect(answer.locator('.markdown').textContent()).resolves.toContain('ten years');
    await answer.getByRole('list', { name: 'Sources' }).getByText('warranty.md', { exact: false }).waitFor();
    await expect(testItem(FAILING).locator('details summary').textContent()).resolves.toContain('fallback');
    await page.screenshot({ path: screenshotPath('tests-desktop.png'), fullPage: true });

    // The results stay after a reload: the last run's, with why it failed.
    await page.reload();
    await summary().getByText('Last results:').waitFor();
    await expect(testItem(FAILING).getByRole('list', { name: 'Why it failed' }).textContent()).resolves.toBe('the answer does not contain "rocket"');
  });

  it('runs again after the knowledge changed, and shows the test that changed', async () => {
    await api(`/bots/${botId}/sources`, {
      method: 'POST',
      body: JSON.stringify({ name: 'delivery.md', content: '# Delivery to the moon\n\nWe deliver to the moon by rocket every Friday, for a flat fee.\n' }),
    });
    await page.getByRole('button', { name: 'Run tests' }).click();
    await summary().getByText('2 passed').waitFor();
    await summary().getByText('0 failed').waitFor();
    await summary().getByText('1 changed since the run before').waitFor();
    await testItem(FAILING).getByText('Changed: failed before').waitFor();
    await expect(testItem(PASSING).locator('.pill-changed').count()).resolves.toBe(0);
    await expect(testItem(FAILING).getByRole('list', { name: 'Why it failed' }).count()).resolves.toBe(0);
  });

  it('removes a test', async () => {
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: `Remove the test "${FAILING}"` }).click();
    await page.getByRole('heading', { name: 'Tests (1)' }).waitFor();
    await expect(testItem(FAILING).count()).resolves.toBe(0);
    expect((await api(`/bots/${botId}/tests`)).cases.map((row: any) => row.question)).toEqual([PASSING]);
  });

  it('shows a viewer the tests and their results, without controls', async () => {
    const { password } = await api('/users', { method: 'POST', body: JSON.stringify({ email: 'vera@example.com', role: 'viewer', invite: false }) });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const viewer = consoleWatch.watch(await context.newPage());
    await signIn(viewer, parley, { email: 'vera@example.com', password });
    await viewer.goto(`${parley.url}/admin#/bots/${botId}/tests`);
    await viewer.locator('.test-case', { hasText: PASSING }).getByText('Passed', { exact: true }).waitFor();
    await viewer.getByText('owners and admins add, remove and run them').waitFor();
    await expect(viewer.getByRole('button', { name: 'Run tests' }).count()).resolves.toBe(0);
    await expect(viewer.getByRole('form', { name: 'Add a test' }).count()).resolves.toBe(0);
    await expect(viewer.getByRole('button', { name: /^Remove/ }).count()).resolves.toBe(0);
    await context.close();
  });

  it('fits a phone (390 px) without sideways scrolling', async () => {
    await api(`/bots/${botId}/tests`, {
      method: 'POST',
      body: JSON.stringify({ question: 'Doyoudelivertotheoutersolarsystemincludingsaturnsmoonsandtheasteroidbelt?', expect_source: 'interplanetary-delivery-terms-and-conditions.md' }),
    });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phone = consoleWatch.watch(await context.newPage());
    await signIn(phone, parley);
    await phone.goto(`${parley.url}/admin#/bots/${botId}/tests`);
    await phone.getByRole('heading', { name: 'Tests (2)' }).waitFor();
    // The bot's tabs scroll sideways on a phone; the current one is brought into view.
    const tab = await phone.getByRole('link', { name: 'Tests' }).boundingBox();
    expect(tab!.x).toBeGreaterThanOrEqual(0);
    expect(tab!.x + tab!.width).toBeLessThanOrEqual(390);
    await phone.getByRole('button', { name: 'Run tests' }).click();
    await phone.locator('.test-summary').getByText('1 failed').waitFor();
    await phone.locator('.test-case').first().locator('details summary').click();
    const { scrollWidth, clientWidth } = await horizontalOverflow(phone);
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    expect(clientWidth).toBe(390);
    await phone.screenshot({ path: screenshotPath('tests-phone.png'), fullPage: true });
    await context.close();
  });

  it('had no console errors', () => {
    expect(consoleWatch.unexpected).toEqual([]);
  });
});
