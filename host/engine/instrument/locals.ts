/**
 * A function body's locals declaration: read it (within V8's limit) and write it back with one
 * more local, which is how the fuel and deadline passes get their counters.
 */
import type { ByteWriter } from './byte-writer.js';
import type { CodeCursor } from './code-cursor.js';

/** V8's limit on locals per function (params included). */
export const MAX_LOCALS = 50_000;

/** A locals declaration, read: where it starts, its groups and how many locals (params included). */
export interface Locals {
  readonly at: number;
  readonly groups: number;
  /** Where the first group starts (after the group count). */
  readonly first: number;
  readonly total: number;
}

/** Reads the locals declaration at `r.pos` of a function with `params` parameters. */
export function readLocals(r: CodeCursor, params: number): Locals {
  const at = r.pos;
  const groups = r.count('local declarations', 2);
  const first = r.pos;
  let total = params;
  for (let i = 0; i < groups; i++) {
    total += r.u32();
    if (total > MAX_LOCALS) r.fail(`more than ${MAX_LOCALS} locals`);
    r.valType();
  }
  return { at, groups, first, total };
}

/**
 * Right after `readLocals`: writes the declaration with one more local of `valType` (`count`
 * more, when given; `needs` says who wants them, for the error); returns the first one's index.
 */
export function withOneMoreLocal(r: CodeCursor, locals: Locals, out: ByteWriter, valType: number, needs: string, count = 1): number {
  if (locals.total + count > MAX_LOCALS) r.unsupported(`a function with ${MAX_LOCALS} locals (${needs} ${count === 1 ? 'one' : count} more)`);
  out.u32(locals.groups + 1);
  out.range(r.bytes, locals.first, r.pos);
  out.u8(count);
  out.u8(valType);
  return locals.total;
}
