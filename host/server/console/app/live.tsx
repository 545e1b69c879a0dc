/**
 * The diagnostics timeline, live (contract A): the recent entries from `GET /v1/timeline`, then
 * new ones from `GET /v1/timeline/stream` (server-sent events read with `fetch`, resumed with
 * `Last-Event-ID` after a drop), filtered by component, status and error code (kept in the URL:
 * `#/live?component=…&status=…&code=…`), with charts; a row opens the whole entry.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { AdminAnswers, TimelineEntry, TimelinePage } from '../../api-types.js';
import { ApiError, api, readEventStream } from './api.js';
import { bucketize, TimelineCharts } from './charts.js';
import { EntryDialog } from './entry-dialog.js';
import { fuel, ms, time } from './format.js';
import { usePoll } from './hooks.js';

/** Entries kept in the page (and fetched at first, so the charts start with the recent history); older ones drop off. */
const KEEP = 2000;
/** Rows shown. */
const SHOW = 200;
const BUCKET_SECONDS = 5;
const BUCKETS = 36;

interface Filters {
  component: string;
  status: '' | 'ok' | 'error';
  code: string;
}

/** The filters a `#/live?component=…&status=…&code=…` route names (a shared link opens the same view). */
export function filtersFromHash(hash: string): Filters {
  const q = new URLSearchParams(hash.split('?')[1] ?? '');
  const status = q.get('status');
  return { component: q.get('component') ?? '', status: status === 'ok' || status === 'error' ? status : '', code: q.get('code') ?? '' };
}

function query(f: Filters): string {
  const q = new URLSearchParams();
  if (f.component) q.set('component', f.component);
  if (f.status) q.set('status', f.status);
  if (f.code.trim()) q.set('code', f.code.trim());
  return q.toString();
}

type Connection = 'connecting' | 'live' | 'reconnecting' | 'unavailable';

function useTimeline(filters: Filters): { entries: TimelineEntry[]; connection: Connection } {
  const [entries, setEntries] = useState<TimelineEntry[]>([]);
  const [connection, setConnection] = useState<Connection>('connecting');
  const q = query(filters);
  useEffect(() => {
    const controller = new AbortController();
    let last: string | undefined;
    setEntries([]);
    setConnection('connecting');
    const add = (more: readonly TimelineEntry[]): void => setEntries((old) => [...old, ...more].slice(-KEEP));
    const run = async (): Promise<void> => {
      try {
        const recent = await api<TimelinePage>('GET', `/timeline?${q}${q ? '&' : ''}limit=${KEEP}`, undefined, controller.signal);
        add(recent.entries);
        last = String(recent.latestSeq);
      } catch (err) {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 404) return setConnection('unavailable');
      }
      while (!controller.signal.aborted) {
        try {
          await readEventStream(
            `/timeline/stream?${q}`,
            controller.signal,
            (m) => {
              setConnection('live');
              if (m.id) last = m.id;
              if (m.event === 'outcome') add([JSON.parse(m.data) as TimelineEntry]);
            },
            last,
          );
        } catch (err) {
          if (controller.signal.aborted) return;
          if (err instanceof ApiError && (err.status === 404 || err.status === 401)) return setConnection('unavailable');
        }
        setConnection('reconnecting');
        await new Promise((r) => setTimeout(r, 2000));
      }
    };
    // A stream that opens but sends nothing yet is live too.
    const opened = setTimeout(() => setConnection((c) => (c === 'connecting' ? 'live' : c)), 1500);
    void run();
    return () => {
      clearTimeout(opened);
      controller.abort();
    };
  }, [q]);
  return { entries, connection };
}

export function LiveView() {
  const [filters, setFiltersState] = useState<Filters>(() => filtersFromHash(location.hash));
  const [codeText, setCodeText] = useState(filters.code);
  const [open, setOpen] = useState<TimelineEntry | null>(null);
  const setFilters = (next: Filters): void => {
    setFiltersState(next);
    const q = query(next);
    // The filters live in the URL (without a hashchange, so the view keeps its state and focus).
    history.replaceState(null, '', `#/live${q ? `?${q}` : ''}`);
  };
  const components = usePoll((signal) => api<AdminAnswers['GET /v1/components']>('GET', '/components', undefined, signal), 10_000);
  const { entries, connection } = useTimeline(filters);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const buckets = useMemo(() => bucketize(entries, now, BUCKET_SECONDS * 1000, BUCKETS), [entries, now]);
  const rows = entries.slice(-SHOW).reverse();
  return (
    <section aria-labelledby="live-title">
      <h1 id="live-title" tabIndex={-1}>
        Live timeline
      </h1>
      <p class={`connection ${connection}`} role="status" id="live-connection">
        Stream: {connection}
      </p>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ ...filters, code: codeText });
        }}
      >
        <label for="filter-component">Component</label>
        <select id="filter-component" value={filters.component} onChange={(e) => setFilters({ ...filters, component: (e.target as HTMLSelectElement).value })}>
          <option value="">all</option>
          {(components.data?.components ?? []).map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </select>
        <label for="filter-status">Status</label>
        <select
          id="filter-status"
          value={filters.status}
          onChange={(e) => setFilters({ ...filters, status: (e.target as HTMLSelectElement).value as Filters['status'] })}
        >
          <option value="">all</option>
          <option value="ok">ok</option>
          <option value="error">error</option>
        </select>
        <label for="filter-code">Error code</label>
        <input id="filter-code" type="text" placeholder="LN_ERR_…" value={codeText} onInput={(e) => setCodeText((e.target as HTMLInputElement).value)} />
        <button type="submit">Apply</button>
      </form>
      {connection === 'unavailable' ? (
        <p class="error" role="alert">
          This host does not serve the diagnostics timeline (GET /v1/timeline).
        </p>
      ) : (
        <TimelineCharts buckets={buckets} bucketSeconds={BUCKET_SECONDS} />
      )}
      <div class="table-wrap">
        <table class="timeline" aria-live="polite" aria-relevant="additions">
          <caption>Newest first ({entries.length} received)</caption>
          <thead>
            <tr>
              <th scope="col" class="num">
                #
              </th>
              <th scope="col">Time</th>
              <th scope="col">Component</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Duration
              </th>
              <th scope="col" class="num">
                Fuel
              </th>
              <th scope="col">Pipeline</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr
                key={e.seq}
                data-seq={e.seq}
                class={`${e.status} clickable`}
                onClick={(ev) => {
                  if (!(ev.target as HTMLElement).closest('button')) setOpen(e);
                }}
              >
                <td data-label="#" class="num">
                  <button type="button" class="link-button" onClick={() => setOpen(e)} aria-label={`Details of entry ${e.seq}`}>
                    {e.seq}
                  </button>
                </td>
                <td data-label="Time">{time(e.time)}</td>
                <td data-label="Component">
                  {e.plugin}@{e.version}
                </td>
                <td data-label="Event">
                  {e.depth > 0 && (
                    <span class="muted" title={`follow-up, generation ${e.depth}`}>
                      ↳{e.depth}{' '}
                    </span>
                  )}
                  {e.eventType} <span class="muted">{e.eventId}</span>
                </td>
                <td data-label="Status">
                  <span class={`badge ${e.status === 'ok' ? 'ok' : 'bad'}`}>{e.status === 'ok' ? 'ok' : (e.code ?? 'error')}</span>
                </td>
                <td data-label="Duration" class="num">
                  {ms(e.durationMs)}
                </td>
                <td data-label="Fuel" class="num">
                  {fuel(e.usage?.fuelUsed ?? null)}
                </td>
                <td data-label="Pipeline">{e.pipeline ? `${e.pipeline.name}/${e.pipeline.step}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {open && <EntryDialog entry={open} onClose={() => setOpen(null)} />}
    </section>
  );
}
