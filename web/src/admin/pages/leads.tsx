// Leads: the contact details visitors left with the bot (docs/LEADS.md), searched and filtered, exported as CSV or
// JSON, each linked to its conversation.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, type LeadRow } from '../api';
import { formatDate } from '../format';
import { Alert, Empty, Loading } from '../ui';
import { filterQuery } from './conversations';

const PAGE = 50;
const TRIGGERS: [string, string][] = [
  ['', 'Any'],
  ['before_chat', 'Before the chat'],
  ['after_messages', 'After some messages'],
  ['buying_intent', 'Buying intent'],
  ['fallback', 'Bot could not answer'],
  ['request', 'Visitor asked'],
  ['handoff', 'Handoff'],
];

export function Leads({ botId }: { botId: string }) {
  const [filters, setFilters] = useState({ q: '', trigger: '', from: '', to: '' });
  const [applied, setApplied] = useState(filters);
  const [rows, setRows] = useState<LeadRow[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = async (offset: number) => {
    setError(null);
    try {
      const query = filterQuery(applied);
      const body = await api<{ leads: LeadRow[] }>('GET', `/bots/${botId}/leads?limit=${PAGE}&offset=${offset}${query ? '&' + query : ''}`);
      setRows((current) => (offset === 0 ? body.leads : [...(current ?? []), ...body.leads]));
      setMore(body.leads.length === PAGE);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  useEffect(() => void load(0), [botId, applied]);
  const field = (key: 'q' | 'from' | 'to') => ({
    value: filters[key],
    onInput: (e: Event) => setFilters({ ...filters, [key]: (e.currentTarget as HTMLInputElement).value }),
  });
  const exportUrl = (format: string) => `/api/v1/bots/${botId}/leads/export?format=${format}&${filterQuery(applied)}`;

  return (
    <div class="stack">
      <form
        class="card filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <label class="grow">
          Search leads
          <input type="search" {...field('q')} placeholder="name, email, phone or company" />
        </label>
        <label>
          Shown when
          <select value={filters.trigger} onChange={(e) => setFilters({ ...filters, trigger: e.currentTarget.value })}>
            {TRIGGERS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" {...field('from')} />
        </label>
        <label>
          To
          <input type="date" {...field('to')} />
        </label>
        <button class="primary" type="submit">
          Apply
        </button>
        <span class="export">
          Export: <a href={exportUrl('csv')} download>CSV</a> · <a href={exportUrl('json')} download>JSON</a>
        </span>
      </form>
      <Alert message={error} />
      {rows === null ? (
        error ? null : <Loading />
      ) : rows.length === 0 ? (
        <Empty title="No leads yet">
          <p>Turn on the lead form in the bot's settings (leads.enabled); the details visitors leave appear here.</p>
        </Empty>
      ) : (
        <table class="table card">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Phone</th>
              <th>Company</th>
              <th>Shown when</th>
              <th>Submissions</th>
              <th>First seen</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id}>
                <td>{row.conversation_id ? <a href={`#/bots/${botId}/conversations/${row.conversation_id}`}>{row.name || '(no name)'}</a> : row.name}</td>
                <td>{row.email}</td>
                <td>{row.phone}</td>
                <td>{row.company}</td>
                <td>{TRIGGERS.find(([value]) => value === row.trigger)?.[1] ?? row.trigger}</td>
                <td>{row.submissions}</td>
                <td>{formatDate(row.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more ? (
        <button type="button" onClick={() => load(rows?.length ?? 0)}>
          Load more
        </button>
      ) : null}
    </div>
  );
}
