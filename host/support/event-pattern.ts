/**
 * Event type patterns, as manifests write them in `events`: `*` matches any run of characters
 * (dots included), every other character matches itself. Compiled once per pattern.
 */

/**
 * Whether an event type matches a manifest pattern: `*` matches anything (including dots),
 * other characters match themselves (`sensor.*` matches `sensor.reading` and `sensor.a.b`).
 */
export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  let compiled = COMPILED.get(pattern);
  if (!compiled) {
    const parts = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
    compiled = new RegExp(`^${parts.join('.*')}$`);
    // Patterns come from manifests (at most 256 each): a bounded cache keeps every event from
    // compiling them again.
    if (COMPILED.size >= MAX_COMPILED) COMPILED.clear();
    COMPILED.set(pattern, compiled);
  }
  return compiled.test(type);
}

/** Whether any of `patterns` matches `type`. */
export function anyPatternMatches(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => eventTypeMatches(p, type));
}

const COMPILED = new Map<string, RegExp>();
const MAX_COMPILED = 4096;
