/**
 * One kept log line (pino's JSON object, see `log-ring.ts`) read for people: its level's name and
 * the parts `lnano logs` prints and the console's logs view shows. Imports nothing, so the
 * console's browser bundle uses it as it is.
 */

/** pino's numeric levels by name. */
export const LOG_LEVELS = Object.freeze({ trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 });

/** A level's name (`info`), or the value as text when it is not one of pino's. */
export function levelName(level: unknown): string {
  for (const [name, n] of Object.entries(LOG_LEVELS)) if (n === Number(level)) return name;
  return String(level ?? '');
}

/** What a line says, in parts: when, how bad, which version, from where, the text, its code and fields. */
export interface LogLineParts {
  /** ISO time, or '' when the line has none. */
  readonly time: string;
  readonly level: string;
  readonly version: string;
  /** `guest` for a guest log call, `stdout`/`stderr` for its output, '' for the host's own line. */
  readonly where: string;
  readonly text: string;
  /** The error code of a line about a failure, or ''. */
  readonly code: string;
  /** The guest's structured fields as JSON, or ''. */
  readonly fields: string;
}

/** Reads a kept line; any shape is taken (a line is what the host wrote, not validated input). */
export function logLineParts(entry: Readonly<Record<string, unknown>>): LogLineParts {
  const guest = entry.guest as { message?: unknown; line?: unknown; fields?: Record<string, unknown>; stream?: unknown } | undefined;
  const text = guest?.message ?? guest?.line ?? entry.msg ?? '';
  return {
    time: typeof entry.time === 'number' ? new Date(entry.time).toISOString() : '',
    level: levelName(entry.level),
    version: typeof entry.version === 'string' ? entry.version : '',
    where: typeof guest?.stream === 'string' ? guest.stream : guest ? 'guest' : '',
    text: String(text),
    code: typeof entry.code === 'string' ? entry.code : '',
    fields: guest?.fields && typeof guest.fields === 'object' && Object.keys(guest.fields).length ? JSON.stringify(guest.fields) : '',
  };
}
