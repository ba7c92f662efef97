import { describe, expect, it } from 'vitest';
import type { JobRow } from '../../../web/src/admin/api';
import { completeUrl, crawlSettings, EMPTY_CRAWL, jobSummary, placeError, latestJobBySource } from '../../../web/src/admin/crawl';

function job(change: Partial<JobRow>): JobRow {
  return {
    id: 'job_1',
    bot_id: 'bot_1',
    source_id: 'src_1',
    kind: 'crawl',
    state: 'queued',
    trigger: 'manual',
    progress: {},
    result: {},
    error: null,
    created_at: '2026-03-01T10:00:00.000Z',
    finished_at: null,
    ...change,
  };
}

describe('the add-a-website form', () => {
  it('completes a bare host name with https:// and leaves anything else as typed', () => {
    expect(completeUrl('  www.shop.com/help ')).toBe('https://www.shop.com/help');
    expect(completeUrl('shop.com:8080')).toBe('https://shop.com:8080');
    expect(completeUrl('http://127.0.0.1:5000/')).toBe('http://127.0.0.1:5000/');
    expect(completeUrl('ftp://shop.com/')).toBe('ftp://shop.com/');
    expect(completeUrl('mailto:me@shop.com')).toBe('mailto:me@shop.com');
    expect(completeUrl('not a url')).toBe('not a url');
    expect(completeUrl('')).toBe('');
  });

  it('sends only what was filled in, with patterns one per line', () => {
    expect(crawlSettings({ ...EMPTY_CRAWL, url: 'shop.com' })).toEqual({ url: 'https://shop.com', schedule: 'weekly' });
    expect(
      crawlSettings({ url: '', sitemap: 'https://shop.com/sitemap.xml', maxPages: ' 50 ', include: '/help/\n\n  /faq/ ', exclude: '/blog/', schedule: 'off' }),
    ).toEqual({ sitemap: 'https://shop.com/sitemap.xml', max_pages: 50, include: ['/help/', '/faq/'], exclude: ['/blog/'], schedule: 'off' });
    // Not a whole number: sent as typed, for the server to explain.
    expect(crawlSettings({ ...EMPTY_CRAWL, url: 'https://shop.com', maxPages: '2.5' }).max_pages).toBe('2.5');
  });

  it('puts the server\'s errors on their field, named by its label', () => {
    expect(placeError('url: not an absolute URL: not a url')).toEqual({ field: 'url', message: 'Website address: not an absolute URL: not a url' });
    expect(placeError('sitemap: only http and https URLs are crawled, not ftp:')).toEqual({
      field: 'sitemap',
      message: 'Sitemap address: only http and https URLs are crawled, not ftp:',
    });
    expect(placeError('the sitemap must be on the same site as the start URL').field).toBe('sitemap');
    expect(placeError('a crawl needs a start URL, a sitemap URL, or both').field).toBe('url');
    expect(placeError('max_pages must be between 1 and 1000000')).toEqual({ field: 'maxPages', message: 'Page limit must be between 1 and 1000000' });
    expect(placeError('at most 100 include patterns')).toEqual({ field: 'include', message: 'at most 100 include patterns' });
    expect(placeError('exclude patterns are non-empty strings of at most 512 bytes').field).toBe('exclude');
    expect(placeError('a schedule is between one minute and one year').field).toBe('schedule');
    expect(placeError('no such bot')).toEqual({ field: null, message: 'no such bot' });
  });
});

describe('crawl jobs in words', () => {
  it('says what a running crawl has done, and what a finished one did', () => {
    expect(jobSummary(job({ state: 'queued' }))).toBe('Waiting to start…');
    expect(jobSummary(job({ state: 'running', progress: { phase: 'seeding' } }))).toBe('Reading the site map and robots.txt…');
    expect(jobSummary(job({ state: 'running', progress: { phase: 'crawling', pages_done: 1, errors: 2, pages_found: 9 } }))).toBe(
      'Crawling: 1 page done, 2 failed, 9 found',
    );
    expect(jobSummary(job({ state: 'succeeded', result: { added: 3, updated: 1, unchanged: 0, removed: 2, failed: 1, truncated: true } }))).toBe(
      'Done: 3 added, 1 updated, 0 unchanged, 2 removed, 1 failed (stopped at the page limit)',
    );
    expect(jobSummary(job({ state: 'failed', error: 'robots.txt could not be read' }))).toBe('Failed: robots.txt could not be read');
    expect(jobSummary(job({ state: 'cancelled', progress: { pages_done: 4 } }))).toBe('Cancelled after 4 pages; what was indexed stays');
  });

  it('finds the newest job of each source in a list newest first', () => {
    const latest = latestJobBySource([
      job({ id: 'job_3', source_id: 'src_2' }),
      job({ id: 'job_2', source_id: 'src_1' }),
      job({ id: 'job_1', source_id: 'src_1' }),
      job({ id: 'job_0', source_id: null, kind: 'ingest' }),
    ]);
    expect([...latest.entries()].map(([source, row]) => [source, row.id])).toEqual([
      ['src_2', 'job_3'],
      ['src_1', 'job_2'],
    ]);
  });
});
