// Search by meaning on the Health check tab, in headless Chromium against the real `parley` server with an
// embedding model in parley.toml (the tiny random-weight BERT of ../shared/models): the passages' progress until all
// are ready, and, with a model file that does not exist, the warning that answers use word matching only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { adminApi, launchChromium, repoRoot, screenshotPath, signIn, startParley, type Parley } from './support';

const MODEL = join(repoRoot, '..', 'shared', 'models', 'tiny-bert-f16.gguf');

const GUIDE = `# Shipping

Standard shipping is free on orders over $75 and takes three to five business days.

## Returns

Unused bikes can be returned within 30 days for a full refund.

## Batteries

A full charge takes about five hours with the standard charger.
`;

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function setUp(config: string): Promise<{ parley: Parley; page: Page; botId: string }> {
  const parley = await startParley(false, config);
  const api = (path: string, init: RequestInit = {}): Promise<any> => adminApi<any>(parley, path, init);
  const botId = (await api('/bots', { method: 'POST', body: JSON.stringify({ name: 'Bikes' }) })).id;
  await api(`/bots/${botId}/sources?name=guide.md`, { method: 'POST', body: GUIDE, headers: { 'Content-Type': 'text/markdown' } });
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await signIn(page, parley);
  await page.goto(`${parley.url}/admin#/bots/${botId}/health`);
  await page.getByRole('heading', { name: 'Knowledge health', level: 2 }).waitFor();
  return { parley, page, botId };
}

describe('search by meaning on the Health check tab', () => {
  it('shows the passages ready for search by meaning once the server has embedded them', async () => {
    const { parley, page } = await setUp(`[engine]\nembedding_model = "${MODEL}"\nthreads = 1\n`);
    try {
      // Either already done or in progress (the page refreshes itself while in progress).
      const status = page.getByRole('status').filter({ hasText: /search by meaning/i });
      await status.first().waitFor();
      await page.getByText(/Search by meaning is on: \d+ passages ready \(tiny-bert-f16\)\./).waitFor({ timeout: 30_000 });
      await page.screenshot({ path: screenshotPath('health-semantic-ready.png'), fullPage: true });
    } finally {
      await page.close();
      await parley.stop();
    }
  });

  it('warns that answers use word matching only when the model cannot be loaded', async () => {
    const { parley, page } = await setUp('[engine]\nembedding_model = "/nonexistent/bge-small.gguf"\n');
    try {
      const alert = page.getByRole('alert').filter({ hasText: 'Search by meaning is off' });
      await alert.waitFor();
      expect(await alert.textContent()).toContain('/nonexistent/bge-small.gguf does not exist');
      expect(await alert.textContent()).toContain('word matching only');
      await page.screenshot({ path: screenshotPath('health-semantic-unavailable.png'), fullPage: true });
    } finally {
      await page.close();
      await parley.stop();
    }
  });
});
