/**
 * A component's logs tab (`#/component/<name>/logs`): its recent log lines, as `lnano logs` prints
 * them, newest last, fetched every 2 s while shown and not paused. The level and text filters live
 * in the URL (`?level=warn&q=timeout`), so a shared link opens the same view.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { LOG_LEVELS, logLineParts } from '../../../log/log-line.js';
import type { AdminAnswers, LogLine } from '../../api-types.js';
import { api } from './api.js';
import { usePoll } from './hooks.js';

/** Lines asked for per fetch (the host keeps up to 1000 per component). */
const LINES = 500;

type Level = '' | 'debug' | 'info' | 'warn' | 'error';

export interface LogFilters {
  /** The lowest level shown; '' shows every line. */
  readonly level: Level;
  /** Text a line must contain (case-insensitive); '' matches all. */
  readonly text: string;
}

/** The filters a `#/component/<name>/logs?level=…&q=…` route names. */
export function logFiltersFromHash(hash: string): LogFilters {
  const q = new URLSearchParams(hash.split('?')[1] ?? '');
  const level = q.get('level');
  return { level: level === 'debug' || level === 'info' || level === 'warn' || level === 'error' ? level : '', text: q.get('q') ?? '' };
}

function query(f: LogFilters): string {
  const q = new URLSearchParams();
  if (f.level) q.set('level', f.level);
  if (f.text.trim()) q.set('q', f.text.trim());
  return q.toString();
}

/** The lines the filters keep, with each line's parts. */
export function filterLines(lines: readonly LogLine[], f: LogFilters): Array<{ line: LogLine; parts: ReturnType<typeof logLineParts> }> {
  const floor = f.level ? LOG_LEVELS[f.level] : 0;
  const needle = f.text.trim().toLowerCase();
  const kept = [];
  for (const line of lines) {
    if (Number(line.level ?? 0) < floor) continue;
    const parts = logLineParts(line);
    if (needle && !`${parts.text} ${parts.code} ${parts.fields} ${parts.version}`.toLowerCase().includes(needle)) continue;
    kept.push({ line, parts });
  }
  return kept;
}

const TONE: Readonly<Record<string, string>> = { warn: 'warn', error: 'bad', fatal: 'bad', debug: 'info', trace: 'info' };

export function ComponentLogs(props: { name: string }) {
  const [filters, setFiltersState] = useState<LogFilters>(() => logFiltersFromHash(location.hash));
  const [text, setText] = useState(filters.text);
  const [paused, setPaused] = useState(false);
  const setFilters = (next: LogFilters): void => {
    setFiltersState(next);
    const q = query(next);
    // In the URL without a hashchange, so the view keeps its state and focus.
    history.replaceState(null, '', `#/component/${encodeURIComponent(props.name)}/logs${q ? `?${q}` : ''}`);
  };
  const logs = usePoll(
    (signal) =>
      api<AdminAnswers['GET /v1/components/:name/logs']>('GET', `/components/${encodeURIComponent(props.name)}/logs?lines=${LINES}`, undefined, signal),
    paused ? 0 : 2000,
    [paused],
  );
  const shown = filterLines(logs.data?.lines ?? [], filters);
  // Follow the end like `lnano logs -f`, unless the reader scrolled up.
  const box = useRef<HTMLOListElement>(null);
  const atEnd = useRef(true);
  useEffect(() => {
    const el = box.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [logs.data]);
  return (
    <div id="component-logs">
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ ...filters, text });
        }}
      >
        <label for="logs-level">Level</label>
        <select id="logs-level" value={filters.level} onChange={(e) => setFilters({ ...filters, level: (e.target as HTMLSelectElement).value as Level })}>
          <option value="">all</option>
          <option value="debug">debug and above</option>
          <option value="info">info and above</option>
          <option value="warn">warn and above</option>
          <option value="error">error and above</option>
        </select>
        <label for="logs-text">Contains</label>
        <input id="logs-text" type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        <button type="submit">Apply</button>
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)} id="logs-pause">
          {paused ? 'Resume' : 'Pause'}
        </button>
      </form>
      {logs.error && (
        <p class="error" role="alert">
          {logs.error}
        </p>
      )}
      <p role="status" id="logs-count">
        {logs.data === null ? 'Loading…' : `${shown.length} of the last ${logs.data.lines.length} lines${paused ? ' (paused)' : ', updated every 2 s'}`}
      </p>
      {logs.data !== null && logs.data.lines.length === 0 && (
        <p>
          No log lines about {props.name} yet: what it logs through <code>liquid-nano:plugin/log</code>, writes to stdout or stderr, and the host's lines about
          its failed calls show here.
        </p>
      )}
      <ol
        class="log-lines"
        ref={box}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling box must take the focus so a keyboard can scroll it (axe: scrollable-region-focusable)
        tabIndex={0}
        aria-label={`Log lines of ${props.name}, oldest first`}
        onScroll={(e) => {
          const el = e.currentTarget;
          atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {shown.map(({ line, parts }, i) => (
          <li key={`${line.time ?? ''}-${i}`} class={`log-line level-${parts.level}`}>
            <time dateTime={parts.time}>{parts.time.slice(11, 23)}</time> <span class={`badge ${TONE[parts.level] ?? 'ok'}`}>{parts.level}</span>{' '}
            {parts.version && <span class="log-version">[{parts.version}]</span>} {parts.where && <span class="log-where">{parts.where}</span>}{' '}
            <span class="log-text">{parts.text}</span>
            {parts.code && <code class="log-code"> {parts.code}</code>}
            {parts.fields && <code class="log-fields"> {parts.fields}</code>}
          </li>
        ))}
      </ol>
    </div>
  );
}
