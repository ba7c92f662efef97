// Turning the analytics endpoint's answer into chart series: every day of the window gets a point, including the
// days without any activity (the endpoint lists only active days).
export interface DayRow {
  day: string; // YYYY-MM-DD (UTC)
  conversations: number;
  questions: number;
  answered: number;
  fallbacks: number;
}

export interface DailySeries {
  timestamps: number[]; // seconds, midnight UTC of each day
  conversations: number[];
  questions: number[];
  answered: number[];
  fallbacks: number[];
}

const DAY_MS = 86_400_000;

// Days from `from` (inclusive) to `to` (exclusive), ISO timestamps as the endpoint reports them.
export function dailySeries(from: string, to: string, days: DayRow[]): DailySeries {
  const byDay = new Map(days.map((row) => [row.day, row]));
  const series: DailySeries = { timestamps: [], conversations: [], questions: [], answered: [], fallbacks: [] };
  const start = Date.parse(from.slice(0, 10) + 'T00:00:00Z');
  const end = Date.parse(to);
  if (Number.isNaN(start) || Number.isNaN(end)) return series;
  for (let t = start; t < end; t += DAY_MS) {
    const row = byDay.get(new Date(t).toISOString().slice(0, 10));
    series.timestamps.push(t / 1000);
    series.conversations.push(row?.conversations ?? 0);
    series.questions.push(row?.questions ?? 0);
    series.answered.push(row?.answered ?? 0);
    series.fallbacks.push(row?.fallbacks ?? 0);
  }
  return series;
}

// The query for the last `days` days up to today (UTC).
export function rangeQuery(days: number, now = new Date()): string {
  const to = now.toISOString().slice(0, 10);
  const from = new Date(Date.parse(to) - (days - 1) * DAY_MS).toISOString().slice(0, 10);
  return `from=${from}&to=${to}`;
}
