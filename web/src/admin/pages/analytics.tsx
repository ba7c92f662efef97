// Analytics: activity per day, answered / fallback / handoff rates, feedback, latency percentiles, unanswered questions and the
// most cited sources, for the last 7, 30 or 90 days.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, errorMessage } from '../api';
import { dailySeries, rangeQuery, type DayRow } from '../analytics';
import { Bars, DailyChart } from '../chart';
import { formatDate, formatPercent } from '../format';
import { Alert, Empty, Loading } from '../ui';

interface Analytics {
  from: string;
  to: string;
  totals: {
    conversations: number;
    questions: number;
    answered: number;
    fallbacks: number;
    answered_rate: number;
    fallback_rate: number;
    handoffs: number;
    handoff_rate: number;
    thumbs_up: number;
    thumbs_down: number;
  };
  latency_ms: { p50: number; p90: number; p99: number; count: number };
  days: DayRow[];
  unanswered: { text: string; count: number; last_asked_at: string }[];
  top_sources: { title: string; url: string; citations: number }[];
}

export function AnalyticsPage({ botId }: { botId: string }) {
  const [days, setDays] = useState(30);
  // Playground conversations are tests, not visitor traffic: left out unless the owner asks for them.
  const [tests, setTests] = useState(false);
  const [data, setData] = useState<Analytics | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setData(null);
    api<Analytics>('GET', `/bots/${botId}/analytics?${rangeQuery(days)}&tests=${tests ? 'include' : 'exclude'}`)
      .then(setData)
      .catch((failure) => setError(errorMessage(failure)));
  }, [botId, days, tests]);
  const series = useMemo(() => (data ? dailySeries(data.from, data.to, data.days) : null), [data]);
  const activity = useMemo(
    () =>
      series
        ? [
            { label: 'Conversations', values: series.conversations, color: '#1f6f5c' },
            { label: 'Questions', values: series.questions, color: '#3b6fd4' },
          ]
        : [],
    [series],
  );
  const outcomes = useMemo(
    () =>
      series
        ? [
            { label: 'Answered', values: series.answered, color: '#2e7d32' },
            { label: 'Not answered', values: series.fallbacks, color: '#c62828' },
          ]
        : [],
    [series],
  );

  return (
    <div class="stack">
      <div class="range" role="group" aria-label="Period">
        {[7, 30, 90].map((n) => (
          <button key={n} type="button" aria-pressed={days === n} onClick={() => setDays(n)}>
            Last {n} days
          </button>
        ))}
        <label class="check">
          <input type="checkbox" checked={tests} onChange={(e) => setTests(e.currentTarget.checked)} />
          Include test conversations (the playground's)
        </label>
      </div>
      <Alert message={error} />
      {!data || !series ? (
        error ? null : <Loading />
      ) : data.totals.questions === 0 ? (
        <Empty title="No conversations in this period">
          <p>
            Charts appear once visitors ask the bot something.
            {tests ? '' : ' Your own playground conversations are tests and not counted here (tick "Include test conversations" to see them).'}
          </p>
        </Empty>
      ) : (
        <>
          <dl class="kpis">
            <div class="card">
              <dt>Conversations</dt>
              <dd>{data.totals.conversations}</dd>
            </div>
            <div class="card">
              <dt>Questions</dt>
              <dd>{data.totals.questions}</dd>
            </div>
            <div class="card">
              <dt>Answered</dt>
              <dd>{formatPercent(data.totals.answered_rate)}</dd>
            </div>
            <div class="card">
              <dt>Not answered</dt>
              <dd>{formatPercent(data.totals.fallback_rate)}</dd>
            </div>
            <div class="card">
              <dt>Handed to a person</dt>
              <dd>
                {formatPercent(data.totals.handoff_rate)}{' '}
                <span class="unit">
                  ({data.totals.handoffs} of {data.totals.conversations} conversations)
                </span>
              </dd>
            </div>
            <div class="card">
              <dt>Feedback</dt>
              <dd>
                {data.totals.thumbs_up} <span class="unit">helpful</span> · {data.totals.thumbs_down} <span class="unit">not</span>
              </dd>
            </div>
          </dl>
          <div class="charts">
            <DailyChart title="Conversations and questions per day" timestamps={series.timestamps} series={activity} />
            <DailyChart title="Answered and not answered per day" timestamps={series.timestamps} series={outcomes} />
            <Bars
              title={`Answer latency (${data.latency_ms.count} answers)`}
              unit=" ms"
              rows={[
                { label: 'median', value: data.latency_ms.p50 },
                { label: '90th percentile', value: data.latency_ms.p90 },
                { label: '99th percentile', value: data.latency_ms.p99 },
              ]}
            />
            <Bars title="Most cited sources" rows={data.top_sources.map((source) => ({ label: source.title || source.url, value: source.citations }))} />
            <Bars
              title="Feedback"
              rows={[
                { label: 'Helpful', value: data.totals.thumbs_up },
                { label: 'Not helpful', value: data.totals.thumbs_down },
              ]}
            />
          </div>
          <section class="card">
            <h2>Unanswered questions</h2>
            {data.unanswered.length === 0 ? (
              <p class="muted">Every question in this period was answered from the knowledge.</p>
            ) : (
              <table class="table">
                <thead>
                  <tr>
                    <th>Question</th>
                    <th>Times asked</th>
                    <th>Last asked</th>
                  </tr>
                </thead>
                <tbody>
                  {data.unanswered.map((question) => (
                    <tr key={question.text}>
                      <td data-label="Question">{question.text}</td>
                      <td data-label="Times asked">{question.count}</td>
                      <td data-label="Last asked">{formatDate(question.last_asked_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <p class="muted small">Add the answers to your knowledge (for example as an FAQ file) so the bot can answer them next time.</p>
          </section>
        </>
      )}
    </div>
  );
}
