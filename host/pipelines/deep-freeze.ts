/**
 * Deep freezing: what pipelines hand from one step to the next (and their definitions) cannot
 * be changed by anyone holding a reference. Typed arrays cannot be frozen; values passed between
 * steps are JSON (plugin events as JSON envelopes), so none are found there.
 */

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || seen.has(value)) return value;
  seen.add(value);
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
  return value;
}

/** A deep copy of a JSON value, frozen. */
export function frozenJson<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}
