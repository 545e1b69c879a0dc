/**
 * Where the host's log lines go, and how they look: JSON lines (pino's own format, for log
 * shippers) or pretty lines (`pino-pretty`, for a person at a terminal). `auto` picks pretty when
 * the log stream (stderr) is a terminal.
 *
 * Pretty mode prints a line about a guest (one with a `component` and a `guest` object: a guest
 * `log` call, a line of its stdout/stderr) as ONE terminal line,
 * `[12:00:01.250] INFO (telemetry@1.0.0): reading stored celsius=21.5 unit="°C"`, instead of
 * pino-pretty's one line per field: the guest's message, then its fields as `key=value` (a value
 * with spaces, quotes or `=` in JSON quotes), control characters and line breaks escaped (`\n`)
 * so a guest can neither break the line nor send the terminal escape codes. JSON mode is
 * unchanged: every field stays a field. Colour follows the CLI's rule (`support/colour-rule.ts`:
 * `FORCE_COLOR`, `NO_COLOR`, a terminal).
 */
import { isatty } from 'node:tty';
import { type DestinationStream, pino } from 'pino';
import pretty from 'pino-pretty';
import { colourAllowed } from '../support/colour-rule.js';

/** How log lines are written. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** The format `auto` stands for, given whether the log stream is a terminal. */
export function effectiveLogFormat(format: LogFormat, isTty: boolean): 'json' | 'pretty' {
  return format === 'auto' ? (isTty ? 'pretty' : 'json') : format;
}

/** Whether pretty lines to `fd` are coloured (the rule in `support/colour-rule.ts`). */
export function colourFor(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  return colourAllowed(isatty(fd), env);
}

/** A destination writing to `fd` (default stderr) in `format`. */
export function logDestination(format: 'json' | 'pretty', fd = 2, colorize = colourFor(fd)): DestinationStream {
  const out = pino.destination({ fd, sync: false });
  if (format === 'json') return out;
  return new PrettyDestination(out, colorize);
}

/** Fields of a log line that the pretty guest line shows in its own way (or pino-pretty hides). */
const SHOWN = new Set(['level', 'time', 'msg', 'component', 'version', 'digest', 'guest', 'svc', 'pid', 'hostname']);

/** C0/C1 control characters, DEL and the Unicode line separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters it escapes
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every control character escaped (`\n`, `\u001b`): one terminal line, no escape codes. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A `key=value` pair: plain words as they are, anything else as JSON. */
function pair(key: string, value: unknown): string {
  const text = typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : (JSON.stringify(value) ?? String(value));
  return `${escapeControls(key)}=${escapeControls(text)}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The one-line form of a guest log record (pino's JSON object), for pino-pretty: level and time
 * kept, `name` = `component@version` (and the stream of guest output), the message and the
 * fields in `msg`. Null for a record that is not about a guest.
 */
export function guestLine(record: Record<string, unknown>): { level: unknown; time: unknown; name: string; msg: string } | null {
  const { component, version, guest, msg } = record;
  if (typeof component !== 'string' || !isRecord(guest)) return null;
  let name = typeof version === 'string' ? `${component}@${version}` : component;
  let text: string;
  const pairs: string[] = [];
  if (msg === 'guest log') {
    text = String(guest.message ?? '');
    if (isRecord(guest.fields)) for (const [k, v] of Object.entries(guest.fields)) pairs.push(pair(k, v));
    if (guest.dropped !== undefined) pairs.push(pair('dropped', guest.dropped));
  } else if (msg === 'guest output' && typeof guest.line === 'string') {
    name += ` ${String(guest.stream)}`;
    text = guest.line;
  } else {
    text = String(msg ?? '');
    for (const [k, v] of Object.entries(guest)) pairs.push(pair(k, v));
  }
  for (const [k, v] of Object.entries(record)) if (!SHOWN.has(k)) pairs.push(pair(k, v));
  return { level: record.level, time: record.time, name: escapeControls(name), msg: escapeControls(pairs.length > 0 ? `${text}  ${pairs.join(' ')}` : text) };
}

/** pino-pretty over a destination, with guest records on one line each (`guestLine`). */
class PrettyDestination implements DestinationStream {
  readonly #out: ReturnType<typeof pino.destination>;
  readonly #prettify: (input: string | object) => string;

  constructor(out: ReturnType<typeof pino.destination>, colorize: boolean) {
    this.#out = out;
    this.#prettify = pretty.prettyFactory({ colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,svc' });
  }

  write(line: string): void {
    let input: string | object = line;
    if (line.includes('"guest":')) {
      try {
        input = guestLine(JSON.parse(line) as Record<string, unknown>) ?? line;
      } catch {
        // not JSON: pino-pretty passes it through
      }
    }
    const text = this.#prettify(input);
    if (text) this.#out.write(text);
  }

  /** Flushes the underlying stream (`logger.flush()` ends here through the log ring). */
  flush(cb?: (err?: Error) => void): void {
    this.#out.flush(cb);
  }
}
