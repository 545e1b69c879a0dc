/**
 * One nesting limit for every JSON (and YAML) document the host accepts: request bodies (events,
 * admin bodies, pipeline runs), manifest, config and pipeline files, and JSON event data coming
 * back from plugins. Parsing a deep document is fine, but later recursive steps (JSON.stringify,
 * validation, conversion) run out of stack near a few thousand levels; a document deeper than
 * the limit is refused at the edge with a coded error naming the limit instead.
 */

/**
 * The deepest nesting of objects and arrays accepted (the top-level value is level 1), the same
 * default as serde_json's recursion limit. Real events, manifests and configs stay far below it.
 */
export const MAX_JSON_DEPTH = 128;

/** The reason text of a refused document, for error details: `nested deeper than 128 levels`. */
export function tooDeepReason(limit: number = MAX_JSON_DEPTH): string {
  return `it is nested deeper than ${limit} levels (objects and arrays)`;
}

/**
 * Whether JSON text nests objects and arrays deeper than `limit`. One pass over the characters
 * (string contents are skipped with `indexOf`), no allocation; meant for text `JSON.parse` has
 * already accepted.
 */
export function jsonTextTooDeep(text: string, limit: number = MAX_JSON_DEPTH): boolean {
  // Each level takes an opening and a closing bracket: shorter text cannot be too deep.
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i);
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** The index of the quote closing the string opened at `open` (found natively, escapes honoured). */
function stringEnd(text: string, open: number): number {
  let quote = text.indexOf('"', open + 1);
  while (quote !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}

/**
 * Whether a parsed value (from YAML, which has no text form to scan) nests objects and arrays
 * deeper than `limit`. Recurses at most `limit + 1` levels, so it cannot run out of stack.
 */
export function valueTooDeep(value: unknown, limit: number = MAX_JSON_DEPTH): boolean {
  const walk = (v: unknown, depth: number): boolean => {
    if (v === null || typeof v !== 'object') return false;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (walk(child, depth + 1)) return true;
    return false;
  };
  return walk(value, 1);
}

/** Why `parseJson` refused its text: not JSON (`invalid`, with the parser's message) or `tooDeep`. */
export type JsonRefusal = { readonly kind: 'invalid'; readonly message: string } | { readonly kind: 'tooDeep'; readonly limit: number };

/**
 * Parses JSON text within the depth limit. The caller turns a refusal into its own coded error
 * (`LN_ERR_EVENT_INVALID` / `LN_ERR_EVENT_TOO_DEEP` on the ingress, `LN_ERR_ADMIN_*` on the admin
 * API, the file's code for files).
 *
 * @param refuse - makes the error to throw for a refusal
 */
export function parseJson(text: string, refuse: (why: JsonRefusal) => Error, limit: number = MAX_JSON_DEPTH): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw refuse({ kind: 'invalid', message: String((err as Error).message) });
  }
  if (jsonTextTooDeep(text, limit)) throw refuse({ kind: 'tooDeep', limit });
  return value;
}
