// Issue 14, item 1: guest output is never lost by `lnano run`. A C command prints 5000 lines to
// stdout (fflush after each) and 5000 to stderr, then returns, exits, traps or runs out of fuel at
// once; run through the real `lnano` in a child process, every line must arrive, whole and in
// order, before the result (the printed value or the error), every time.
import { describe, expect, it } from 'vitest';
import { burstLines } from '../fixtures/components/print-burst/burst.js';
import { fixture, runCli, tempDataDir } from '../helpers/cli.js';

const dataDir = tempDataDir();
const LINES = 5000;
const out = burstLines('out', LINES);
const err = burstLines('err', LINES);

/** The text split into lines; a text not ending in a newline keeps its cut last line. */
const linesOf = (text: string): string[] => text.split('\n');

describe('lnano run delivers all guest output (issue 14, item 1)', () => {
  it.each([
    ['return', 1],
    ['return', 2],
    ['exit', 1],
    ['trap', 1],
  ])('%s right after writing (run %i): every line, in order, before the result', async (then) => {
    const r = await runCli(['run', fixture('print-burst'), '--', String(LINES), 'both', then], { dataDir });
    expect(linesOf(r.stdout)).toEqual([...out, '']);
    if (then === 'return') {
      expect(r.code).toBe(0);
      expect(linesOf(r.stderr)).toEqual([...err, '']);
    } else {
      expect(r.code).toBe(1);
      const tail = linesOf(r.stderr).slice(LINES);
      expect(linesOf(r.stderr).slice(0, LINES)).toEqual(err);
      if (then === 'trap') expect(tail[0]).toMatch(/^error\[LN_ERR_GUEST_TRAP\]/);
      else expect(tail).toEqual(['']);
    }
  });

  it('a budget passed right after writing: every line before the budget error', async () => {
    // The writes cost about 7e7 instructions; the endless loop after them uses up the rest.
    const r = await runCli(['run', fixture('print-burst'), '--fuel', '200000000', '--', String(LINES), 'both', 'spin'], { dataDir });
    expect(r.code).toBe(1);
    expect(linesOf(r.stdout)).toEqual([...out, '']);
    const stderr = linesOf(r.stderr);
    expect(stderr.slice(0, LINES)).toEqual(err);
    expect(stderr[LINES]).toMatch(/^error\[LN_ERR_BUDGET_FUEL\]/);
  });

  it('--invoke: the printed result comes after every line', async () => {
    const r = await runCli(['run', fixture('print-burst'), '--invoke', 'run()', '--', String(LINES), 'out', 'return'], { dataDir });
    expect(r.code).toBe(0);
    expect(linesOf(r.stdout)).toEqual([...out, 'ok', '']);
  });
});
