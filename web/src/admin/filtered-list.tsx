// A filtered, paged list with CSV/JSON export (conversations, leads): the filter form's shared fields (search, date
// range, apply, export links) and the state behind it. Each page adds its own selects and table.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from './api';

const PAGE = 50;

export interface BaseFilters {
  q: string;
  from: string;
  to: string;
}

export function filterQuery(filters: object): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) query.set(key, String(value));
  return query.toString();
}

// `path` is the list's API path under /api/v1 (e.g. `/bots/ID/leads`), answering `{[key]: rows}`; its export is at
// `path + '/export'`.
export function useFilteredList<Row, F extends BaseFilters>(path: string, key: string, initial: F) {
  const [filters, setFilters] = useState<F>(initial);
  const [applied, setApplied] = useState<F>(initial);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = async (offset: number) => {
    setError(null);
    try {
      const query = filterQuery(applied);
      const body = await api<Record<string, Row[]>>('GET', `${path}?limit=${PAGE}&offset=${offset}${query ? '&' + query : ''}`);
      const page = body[key] ?? [];
      setRows((current) => (offset === 0 ? page : [...(current ?? []), ...page]));
      setMore(page.length === PAGE);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  useEffect(() => void load(0), [path, applied]);
  const loadMore = () => void load(rows?.length ?? 0);
  const exportUrl = (format: string) => `/api/v1${path}/export?format=${format}&${filterQuery(applied)}`;
  return { filters, setFilters, apply: () => setApplied(filters), rows, more, loadMore, error, exportUrl };
}

export interface FilterState<F extends BaseFilters> {
  filters: F;
  setFilters: (filters: F) => void;
  apply: () => void;
  exportUrl: (format: string) => string;
}

// The filter form: search, the page's own fields (children), the date range, apply and the export links.
export function FilterForm<F extends BaseFilters>({
  list,
  searchLabel,
  searchPlaceholder,
  children,
}: {
  list: FilterState<F>;
  searchLabel: string;
  searchPlaceholder: string;
  children?: ComponentChildren;
}) {
  const field = (key: keyof BaseFilters) => ({
    value: list.filters[key],
    onInput: (e: Event) => list.setFilters({ ...list.filters, [key]: (e.currentTarget as HTMLInputElement).value }),
  });
  return (
    <form
      class="card filters"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        list.apply();
      }}
    >
      <label class="grow">
        {searchLabel}
        <input type="search" {...field('q')} placeholder={searchPlaceholder} />
      </label>
      {children}
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
        Export: <a href={list.exportUrl('csv')} download>CSV</a> · <a href={list.exportUrl('json')} download>JSON</a>
      </span>
    </form>
  );
}

export function LoadMore({ shown, onClick }: { shown: boolean; onClick: () => void }) {
  return shown ? (
    <button type="button" onClick={onClick}>
      Load more
    </button>
  ) : null;
}
