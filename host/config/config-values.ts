/**
 * Parsing one config value from where it came from: a file gives JSON/YAML types, the
 * environment and flags give text. Every error names the key and the source.
 */
import { isAbsolute, resolve } from 'node:path';
import { LnError } from '../errors/ln-error.js';
import { parseByteSize, parseDurationMs } from '../support/units.js';
import type { KeyDef } from './config-keys.js';

/** Where a value came from: `default`, `file ./lnano.yaml`, `env LNANO_LISTEN`, `flag --listen`. */
export type ConfigSource = string;

const MAX_TEXT = 4096;

function describe(raw: unknown): string {
  const text =
    typeof raw === 'string'
      ? `"${raw.length > 60 ? `${raw.slice(0, 60)}…` : raw}"`
      : Array.isArray(raw)
        ? 'a list'
        : raw === null
          ? 'null'
          : typeof raw === 'object'
            ? 'an object'
            : String(raw);
  return `${text} (${Array.isArray(raw) ? 'array' : raw === null ? 'null' : typeof raw})`;
}

/**
 * The resolved value of `def` from `raw`.
 *
 * @param baseDir - where a relative path resolves (the file's folder, or the working directory)
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the key and the source
 */
export function parseValue(def: KeyDef, raw: unknown, source: ConfigSource, baseDir: string): unknown {
  const fail = (reason: string): never => {
    throw new LnError('LN_ERR_CONFIG_INVALID', { key: def.key, source, reason });
  };
  const fromText = typeof raw === 'string' && !source.startsWith('file');
  if (typeof raw === 'string' && raw.length > MAX_TEXT) fail(`the value is longer than ${MAX_TEXT} characters`);
  const kind = def.kind;
  switch (kind.type) {
    case 'address': {
      // A key with no default address (`metrics.listen`) is turned off by null or an empty value.
      if (def.default === null && (raw === null || raw === '')) return null;
      const match = typeof raw === 'string' ? /^(.*):(\d{1,5})$/.exec(raw) : null;
      if (!match || Number(match[2]) > 65535) return fail(`expected host:port (e.g. 127.0.0.1:8080), got ${describe(raw)}`);
      return raw;
    }
    case 'path':
      if (def.default === null && (raw === null || raw === '')) return null;
      if (typeof raw !== 'string' || raw.length === 0 || raw.includes('\0')) return fail(`expected a path, got ${describe(raw)}`);
      return isAbsolute(raw) ? raw : resolve(baseDir, raw);
    case 'secret':
      if (typeof raw !== 'string' || raw.length === 0) return fail('expected a non-empty string');
      return raw;
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      if (fromText && /^(true|1|yes|on)$/i.test(raw as string)) return true;
      if (fromText && /^(false|0|no|off)$/i.test(raw as string)) return false;
      return fail(`expected true or false, got ${describe(raw)}`);
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : fromText && /^-?\d+$/.test((raw as string).trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < kind.min || n > kind.max)
        return fail(`expected a whole number from ${kind.min} to ${kind.max}, got ${describe(raw)}`);
      return n;
    }
    case 'ratio': {
      const n = typeof raw === 'number' ? raw : fromText && /^\d*\.?\d+$/.test((raw as string).trim()) ? Number(raw) : NaN;
      if (!Number.isFinite(n) || n < 0 || n > 1) return fail(`expected a number from 0 to 1, got ${describe(raw)}`);
      return n;
    }
    case 'duration':
      if (typeof raw !== 'string' && typeof raw !== 'number') return fail(`expected a duration like 500ms or 5s, got ${describe(raw)}`);
      return parseDurationMs(fromText && /^\d+$/.test(raw as string) ? Number(raw) : raw, def.key, source);
    case 'size':
      if (typeof raw !== 'string' && typeof raw !== 'number') return fail(`expected a size like 1MiB or a number of bytes, got ${describe(raw)}`);
      return parseByteSize(fromText && /^\d+$/.test(raw as string) ? Number(raw) : raw, def.key, source);
    case 'enum':
      if (typeof raw !== 'string' || !kind.values.includes(raw)) return fail(`expected one of ${kind.values.join(', ')}, got ${describe(raw)}`);
      return raw;
    case 'url': {
      if (raw === null || raw === '') return null;
      let url: URL | null = null;
      try {
        url = typeof raw === 'string' ? new URL(raw) : null;
      } catch {
        url = null;
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return fail(`expected an http:// or https:// URL, got ${describe(raw)}`);
      return url.toString();
    }
    case 'text':
      if (def.default === null && (raw === null || raw === '')) return null;
      if (typeof raw !== 'string' || !new RegExp(kind.pattern).test(raw))
        return fail(`expected a value like ${kind.hint} (${kind.pattern}), got ${describe(raw)}`);
      return raw;
    case 'section':
      return raw === null ? null : kind.section.parse(raw, source, baseDir);
    case 'object':
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail(`expected an object, got ${describe(raw)}`);
      return raw;
    case 'list': {
      const list = Array.isArray(raw) ? raw : fromText ? textList(raw as string) : null;
      if (!list) return fail(`expected a list of values like ${kind.hint}, got ${describe(raw)}`);
      if (list.length > kind.max) return fail(`at most ${kind.max} values, got ${list.length}`);
      const pattern = new RegExp(kind.pattern);
      return Object.freeze(
        list.map((item) =>
          typeof item === 'string' && pattern.test(item) ? item : fail(`expected values like ${kind.hint} (${kind.pattern}), got ${describe(item)}`),
        ),
      );
    }
    case 'origins': {
      const list = Array.isArray(raw)
        ? raw
        : fromText
          ? (raw as string)
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : null;
      if (!list) return fail(`expected a list of origins like https://app.example, got ${describe(raw)}`);
      if (list.length > MAX_ORIGINS) return fail(`at most ${MAX_ORIGINS} origins, got ${list.length}`);
      return Object.freeze(
        list.map(
          (item) => webOrigin(item) ?? fail(`expected an origin like https://app.example:8443 (scheme, host, optional port; no path), got ${describe(item)}`),
        ),
      );
    }
  }
}

const MAX_ORIGINS = 100;

/** A comma-separated list from the environment or a flag. */
function textList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `item` as a web origin (`https://app.example:8443`, lowercase, default port dropped), or null. */
function webOrigin(item: unknown): string | null {
  if (typeof item !== 'string') return null;
  let url: URL;
  try {
    url = new URL(item);
  } catch {
    return null;
  }
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  return (url.protocol === 'http:' || url.protocol === 'https:') && bare ? url.origin : null;
}
