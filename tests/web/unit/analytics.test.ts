import { describe, expect, it } from 'vitest';
import { dailySeries, rangeQuery } from '../../../web/src/admin/analytics';

describe('analytics series', () => {
  it('gives every day of the window a point, zero where nothing happened', () => {
    const series = dailySeries('2026-03-01T00:00:00.000Z', '2026-03-04T00:00:00.000Z', [
      { day: '2026-03-02', conversations: 2, questions: 5, answered: 4, fallbacks: 1 },
    ]);
    expect(series.timestamps).toEqual([Date.UTC(2026, 2, 1) / 1000, Date.UTC(2026, 2, 2) / 1000, Date.UTC(2026, 2, 3) / 1000]);
    expect(series.questions).toEqual([0, 5, 0]);
    expect(series.fallbacks).toEqual([0, 1, 0]);
  });

  it('asks for the last n days up to today', () => {
    expect(rangeQuery(7, new Date('2026-03-10T15:00:00Z'))).toBe('from=2026-03-04&to=2026-03-10');
  });
});
