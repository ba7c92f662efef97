// A daily time-series chart (uPlot), with the numbers also in a visually hidden table for screen readers.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: number[];
  color: string;
}

export function DailyChart({ title, timestamps, series }: { title: string; timestamps: number[]; series: Series[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const width = Math.max(280, box.current.clientWidth);
    const plot = new uPlot(
      {
        width,
        height: 220,
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, fill: s.color + '22', points: { show: timestamps.length < 40 } }))],
        axes: [{}, { size: 40 }],
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        legend: { show: true },
      },
      [timestamps, ...series.map((s) => s.values)],
      box.current,
    );
    const resize = () => box.current && plot.setSize({ width: Math.max(280, box.current.clientWidth), height: 220 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [timestamps, series]);
  return (
    <figure class="card chart">
      <figcaption>{title}</figcaption>
      <div ref={box} aria-hidden="true" />
      <table class="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th>Day</th>
            {series.map((s) => (
              <th key={s.label}>{s.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {timestamps.map((t, i) => (
            <tr key={t}>
              <td>{new Date(t * 1000).toISOString().slice(0, 10)}</td>
              {series.map((s) => (
                <td key={s.label}>{s.values[i]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

// Horizontal bars with their values, for short ranked lists (latency percentiles, top sources).
export function Bars({ title, rows, unit = '' }: { title: string; rows: { label: string; value: number }[]; unit?: string }) {
  const max = Math.max(1, ...rows.map((row) => row.value));
  return (
    <figure class="card bars">
      <figcaption>{title}</figcaption>
      {rows.length === 0 ? (
        <p class="muted">No data in this period yet.</p>
      ) : (
        <ul>
          {rows.map((row) => (
            <li key={row.label}>
              <span class="bar-label" title={row.label}>
                {row.label}
              </span>
              <span class="bar-track">
                <span class="bar-fill" style={{ width: `${(100 * row.value) / max}%` }} />
              </span>
              <span class="bar-value">
                {Number.isInteger(row.value) ? row.value : row.value.toFixed(1)}
                {unit}
              </span>
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
