/**
 * `lnano timeline`'s columns: aligned, fitted to the terminal's width (`columns`; no limit in a
 * pipe), ids shortened. The widths are fixed from the first page so lines that `-f` prints later
 * stay aligned with it; a later value wider than its column is cut with `…`.
 *
 *   SEQ  TIME          STATUS  PLUGIN        EVENT         ID        DURATION  DETAIL
 *   #41  21:58:37.123Z ok      echo-c@0.1.0  sensor.read   3f9a1c2e…   1.2 ms  depth=1 parent=k1 fuel=1200
 */
import type { TimelineEntry } from '../observability/diagnostics-timeline.js';
import type { Palette } from './colour.js';
import { formatMs } from './table.js';

/** How the layout is chosen. */
export interface TimelineLayoutOptions {
  /** The terminal's width in characters; undefined: unlimited (a pipe or a file). */
  readonly columns?: number;
  /** Full ids and ISO times, nothing cut (`--wide`). */
  readonly wide?: boolean;
  readonly palette: Palette;
}

/** Ids longer than this are shown as their first 8 characters and `…` (a UUID's first group). */
const SHORT_ID = 12;
const GAP = '  ';

/** `text` in `width` characters: padded, or cut with `…`. */
export function cell(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  return align === 'left' ? cut.padEnd(width) : cut.padStart(width);
}

export class TimelineLayout {
  readonly #wide: boolean;
  readonly #c: Palette;
  readonly #columns: number | undefined;
  readonly #seq: number;
  readonly #plugin: number;
  readonly #type: number;
  readonly #id: number;
  readonly #time: number;

  /** Widths from `entries` (the first page) and `latestSeq`, fitted to `options.columns`. */
  constructor(entries: readonly TimelineEntry[], latestSeq: number, options: TimelineLayoutOptions) {
    this.#wide = options.wide === true;
    this.#c = options.palette;
    this.#columns = this.#wide ? undefined : options.columns;
    const max = (values: string[], min: number): number => Math.max(min, ...values.map((v) => v.length));
    this.#seq = max([`#${latestSeq}`, ...entries.map((e) => `#${e.seq}`)], 4);
    this.#time = this.#wide ? 24 : 13;
    this.#id = max(
      entries.map((e) => this.#id_(e.eventId)),
      8,
    );
    let plugin = max(
      entries.map((e) => `${e.plugin}@${e.version || '?'}`),
      14,
    );
    let type = max(
      entries.map((e) => e.eventType),
      10,
    );
    if (this.#columns !== undefined) {
      // Leave the detail column at least 16 characters; shrink the wider of plugin and type first.
      const fixed = this.#seq + this.#time + 6 + this.#id + 9 + 16 + GAP.length * 7;
      while (fixed + plugin + type > this.#columns && (plugin > 14 || type > 10)) {
        if (plugin >= type && plugin > 14) plugin--;
        else type--;
      }
    }
    this.#plugin = plugin;
    this.#type = type;
  }

  #id_(id: string): string {
    return this.#wide || id.length <= SHORT_ID ? id : `${id.slice(0, 8)}…`;
  }

  /** The header line. */
  header(): string {
    const cells = [
      cell('SEQ', this.#seq),
      cell('TIME', this.#time),
      cell('STATUS', 6),
      cell('PLUGIN', this.#plugin),
      cell('EVENT', this.#type),
      cell('ID', this.#id),
      cell('DURATION', 9, 'right'),
      'DETAIL',
    ];
    return this.#c.bold(cells.join(GAP));
  }

  /** One entry as a line (without the newline). */
  line(e: TimelineEntry): string {
    const c = this.#c;
    const detail: string[] = [];
    if (e.depth > 0) detail.push(`depth=${e.depth}`, `parent=${this.#id_(e.parentEventId ?? '?')}`);
    if (e.usage?.fuelUsed != null) detail.push(`fuel=${e.usage.fuelUsed}`);
    if (e.pipeline) detail.push(`pipeline=${e.pipeline.name}/${e.pipeline.step}`, `run=${this.#id_(e.pipeline.runId)}`);
    const time = this.#wide ? e.time : `${e.time.slice(11, 23)}${e.time.endsWith('Z') ? 'Z' : ''}`;
    const plain = [
      cell(`#${e.seq}`, this.#seq),
      cell(time, this.#time),
      cell(e.status === 'ok' ? 'ok' : 'ERROR', 6),
      cell(`${e.plugin}@${e.version || '?'}`, this.#plugin),
      cell(e.eventType, this.#type),
      cell(this.#id_(e.eventId), this.#id),
      cell(formatMs(e.durationMs), 9, 'right'),
    ];
    const status = e.status === 'ok' ? c.green(plain[2]!) : c.red(c.bold(plain[2]!));
    const styled = [c.dim(plain[0]!), c.dim(plain[1]!), status, ...plain.slice(3)];
    const head = styled.join(GAP);
    const headWidth = plain.join(GAP).length;
    const code = e.code ?? '';
    const restPlain = [code, ...detail].filter(Boolean).join(' ');
    const room = this.#columns === undefined ? Number.POSITIVE_INFINITY : this.#columns - headWidth - GAP.length;
    if (restPlain === '') return head;
    const shown = restPlain.length > room ? cell(restPlain, Math.max(1, room)).trimEnd() : restPlain;
    const styledRest = code && shown.startsWith(code) ? `${c.red(code)}${shown.slice(code.length)}` : shown;
    return `${head}${GAP}${styledRest}`;
  }
}
