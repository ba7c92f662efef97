// Leads: the contact details visitors left with the bot (docs/LEADS.md), searched and filtered, exported as CSV or
// JSON, each linked to its conversation.
import { type LeadRow } from '../api';
import { formatDate } from '../format';
import { Alert, Empty, Loading } from '../ui';
import { type BaseFilters, FilterForm, LoadMore, useFilteredList } from '../filtered-list';

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
  const list = useFilteredList<LeadRow, BaseFilters & { trigger: string }>(`/bots/${botId}/leads`, 'leads', {
    q: '',
    trigger: '',
    from: '',
    to: '',
  });
  const { filters, setFilters, rows, error } = list;

  return (
    <div class="stack">
      <FilterForm list={list} searchLabel="Search leads" searchPlaceholder="name, email, phone or company">
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
      </FilterForm>
      <Alert message={error} />
      {rows === null ? (
        error ? null : <Loading />
      ) : rows.length === 0 ? (
        <Empty title="No leads yet">
          <p>Turn on the lead form in the bot's Builder (the "Lead form" section); the details visitors leave appear here.</p>
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
                <td data-label="Name">{row.conversation_id ? <a href={`#/bots/${botId}/conversations/${row.conversation_id}`}>{row.name || '(no name)'}</a> : row.name}</td>
                <td data-label="Email">{row.email}</td>
                <td data-label="Phone">{row.phone}</td>
                <td data-label="Company">{row.company}</td>
                <td data-label="Shown when">{TRIGGERS.find(([value]) => value === row.trigger)?.[1] ?? row.trigger}</td>
                <td data-label="Submissions">{row.submissions}</td>
                <td data-label="First seen">{formatDate(row.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore shown={list.more} onClick={list.loadMore} />
    </div>
  );
}
