/**
 * `when` conditions, evaluated structurally (never `eval`): step statuses, and JSON paths of the
 * step's input event (`$.type`, `$.data.celsius`, `$.data.items[0]`) compared with a value.
 */
import type { Condition } from './pipeline-schema.js';

/** What a condition can look at. */
export interface ConditionScope {
  /** The step's input event as a JSON envelope. */
  readonly input: unknown;
  /** The status of a finished step (`succeeded`, `failed`, `skipped`; `fallback` counts as failed). */
  status(step: string): string | undefined;
}

const MISSING = Symbol('missing');

/** The value at a path such as `$.data.items[0].id`, or MISSING. */
export function valueAt(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const [, field, index] of path.slice(1).matchAll(/\.([^.[]+)|\[(\d+)\]/g)) {
    if (field !== undefined) {
      if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, field)) return MISSING;
      current = (current as Record<string, unknown>)[field];
    } else {
      if (!Array.isArray(current) || Number(index) >= current.length) return MISSING;
      current = current[Number(index)];
    }
  }
  return current;
}

/** Whether `condition` holds. */
export function evaluate(condition: Condition, scope: ConditionScope): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluate(c, scope));
  if ('any' in condition) return condition.any.some((c) => evaluate(c, scope));
  if ('not' in condition) return !evaluate(condition.not, scope);
  if ('step' in condition) {
    const status = scope.status(condition.step);
    return (status === 'fallback' ? 'failed' : status) === condition.status;
  }
  const value = valueAt(scope.input, condition.path);
  if ('exists' in condition) return (value !== MISSING) === condition.exists;
  if (value === MISSING) return false;
  if ('equals' in condition) return value === condition.equals;
  // contains: a substring of a string, or an element of an array.
  if (typeof value === 'string') return typeof condition.contains === 'string' && value.includes(condition.contains);
  return Array.isArray(value) && value.some((v) => v === condition.contains);
}
