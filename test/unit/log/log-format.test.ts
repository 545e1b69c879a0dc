// The pretty log format's guest lines (issue 21 item 7): a guest record becomes one line whatever
// the guest put in its message and fields (line breaks, terminal escape codes, quotes), other
// records keep pino-pretty's layout, and JSON lines are pino's own. Written through the real
// logger to a real file descriptor.
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colourFor, escapeControls, guestLine, logDestination } from '../../../host/log/log-format.js';
import { createLogger } from '../../../host/log/logger.js';

/** What a logger writing in `format` to a file wrote for `log(logger)`, once it holds `lines` lines (the stream is asynchronous). */
async function written(format: 'json' | 'pretty', lines: number, log: (logger: ReturnType<typeof createLogger>) => void): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'lnano-log-format-')), 'log');
  const fd = openSync(file, 'w');
  log(createLogger({ destination: logDestination(format, fd, false) }));
  const deadline = Date.now() + 5000;
  let text = '';
  while ((text = readFileSync(file, 'utf8')).split('\n').length <= lines && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  closeSync(fd);
  return text;
}

const HOSTILE = 'line one\nline two\r\u001b[2J\u009b31m\u2028end';

describe('pretty guest lines', () => {
  it('writes a guest log record as one line: component@version, message, fields as key=value', async () => {
    const text = await written('pretty', 5, (logger) => {
      const guest = logger.child({ component: 'telemetry', version: '1.0.0', digest: 'abcdef012345' });
      guest.warn({ guest: { level: 'warn', message: HOSTILE, fields: { celsius: '21.5', note: 'a "quoted" b', 'k\ney': 'v' }, dropped: 2 } }, 'guest log');
      guest.info({ guest: { stream: 'stdout', line: 'printed\u001b[0m' } }, 'guest output');
      logger.info({ component: 'telemetry', count: 3 }, 'a host line');
    });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(telemetry@1\.0\.0\): /);
    expect(lines[0]!.slice(lines[0]!.indexOf('): ') + 3)).toBe(
      'line one\\nline two\\r\\u001b[2J\\u009b31m\\u2028end  celsius=21.5 note="a \\"quoted\\" b" k\\ney=v dropped=2',
    );
    expect(lines[1]).toMatch(/^\[[\d:.]+\] INFO \(telemetry@1\.0\.0 stdout\): printed\\u001b\[0m$/);
    // A host line keeps pino-pretty's layout: its fields on lines of their own.
    expect(lines.slice(2, 5)).toEqual([expect.stringMatching(/INFO: a host line$/), '    component: "telemetry"', '    count: 3']);
    expect(text).not.toContain('\u001b');
  });

  it('leaves JSON lines as pino writes them', async () => {
    const text = await written('json', 1, (logger) => {
      logger.child({ component: 'p', version: '2' }).info({ guest: { level: 'info', message: HOSTILE, fields: { a: '1' } } }, 'guest log');
    });
    const record = JSON.parse(text.trim()) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 30, msg: 'guest log', component: 'p', version: '2', guest: { level: 'info', message: HOSTILE, fields: { a: '1' } } });
  });

  it('knows a guest record by its component and guest object', () => {
    expect(guestLine({ level: 30, msg: 'a host line', component: 'p' })).toBeNull();
    expect(guestLine({ level: 30, msg: 'x', guest: { message: 'm' } })).toBeNull();
    expect(
      guestLine({ level: 40, time: 1, msg: 'guest output over its rate limit: lines dropped', component: 'p', guest: { dropped: { stdout: 3 } } }),
    ).toEqual({
      level: 40,
      time: 1,
      name: 'p',
      msg: 'guest output over its rate limit: lines dropped  dropped={"stdout":3}',
    });
  });

  it('escapes every control character, keeps other text', () => {
    expect(escapeControls('tab\there\u0000\u007f é ✓')).toBe('tab\\there\\u0000\\u007f é ✓');
  });

  it('colours by the CLI rule: a terminal without NO_COLOR, or FORCE_COLOR', () => {
    const fd = openSync(join(mkdtempSync(join(tmpdir(), 'lnano-log-format-')), 'f'), 'w');
    expect(colourFor(fd, {})).toBe(false);
    expect(colourFor(fd, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourFor(fd, { FORCE_COLOR: '0' })).toBe(false);
    closeSync(fd);
    expect(colourFor(2, { NO_COLOR: '1' })).toBe(false);
    expect(colourFor(2, { NO_COLOR: '1', FORCE_COLOR: 'true' })).toBe(true);
  });
});
