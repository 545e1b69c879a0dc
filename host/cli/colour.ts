/**
 * Colour on a terminal, none in a pipe or a file, by the one rule in `support/colour-rule.ts`
 * (`FORCE_COLOR`, then `NO_COLOR`, then a terminal whose `TERM` is not `dumb`).
 * No dependency: eight SGR codes are all the CLI uses.
 */
import { colourAllowed } from '../support/colour-rule.js';

/** What a stream may be: a TTY stream has `isTTY` and `columns`. */
export type OutputStream = NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };

/** Whether text written to `stream` may carry ANSI colour codes, from `env` (see the module doc). */
export function colourEnabled(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  return colourAllowed(stream.isTTY === true, env);
}

/** Styles for one stream; each is the identity when colour is off. */
export interface Palette {
  readonly enabled: boolean;
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly blue: (text: string) => string;
  readonly magenta: (text: string) => string;
  readonly cyan: (text: string) => string;
}

const sgr =
  (open: number, close: number) =>
  (text: string): string =>
    text === '' ? text : `\u001b[${open}m${text}\u001b[${close}m`;

const plain = (text: string): string => text;

const COLOURED: Palette = {
  enabled: true,
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  blue: sgr(34, 39),
  magenta: sgr(35, 39),
  cyan: sgr(36, 39),
};

const PLAIN: Palette = { enabled: false, bold: plain, dim: plain, red: plain, green: plain, yellow: plain, blue: plain, magenta: plain, cyan: plain };

/** The palette of `stream` under `env`. */
export function paletteFor(stream: OutputStream, env: NodeJS.ProcessEnv): Palette {
  return colourEnabled(stream, env) ? COLOURED : PLAIN;
}

/** `text` without ANSI escape sequences (for measuring what a terminal shows). */
export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
