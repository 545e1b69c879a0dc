import type { Palette } from './colour.js';

/**
 * `value` as indented JSON for people, coloured like jq when `c` is on (keys blue, strings green,
 * numbers and booleans yellow, null dim). Without colour it is `JSON.stringify(value, null, 2)`.
 */
export function prettyJson(value: unknown, c: Palette): string {
  if (!c.enabled) return JSON.stringify(value, null, 2) ?? 'null';
  const render = (v: unknown, indent: string): string => {
    if (v === null || v === undefined) return c.dim('null');
    if (typeof v === 'string') return c.green(JSON.stringify(v));
    if (typeof v === 'number' || typeof v === 'boolean') return c.yellow(JSON.stringify(v));
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[\n${v.map((x) => `${inner}${render(x, inner)}`).join(',\n')}\n${indent}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, x]) => `${inner}${c.blue(JSON.stringify(k))}: ${render(x, inner)}`).join(',\n')}\n${indent}}`;
  };
  return render(value, '');
}
