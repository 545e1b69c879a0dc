/**
 * Reading the host config file: JSON (`.json`) or YAML (anything else; YAML is a superset of
 * JSON), bounded — at most `MAX_CONFIG_FILE_BYTES`, YAML aliases limited (no "billion laughs") —
 * and flattened to `key → raw value`, refusing unknown keys with their path.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { isLnError, LnError } from '../errors/ln-error.js';
import { tooDeepReason, valueTooDeep } from '../support/json-depth.js';
import { lazyModule } from '../support/lazy-module.js';
import { GROUPS, KEYS_BY_NAME } from './config-keys.js';

/** Largest config file read, bytes. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/** Most YAML alias expansions in one file. */
const MAX_YAML_ALIASES = 50;
/** `yaml` is loaded when a YAML file is read, not at start-up. */
const yaml = lazyModule<typeof import('yaml')>('yaml');

/**
 * Reads and flattens a config file.
 *
 * @param label - the source as errors name it (`file ./lnano.yaml`)
 * @throws LnError `LN_ERR_CONFIG_INVALID` with key `(file)` when it cannot be read or parsed, or
 *   the key path of an unknown key or a group that is not an object
 */
export function readConfigFile(path: string, label: string): Map<string, unknown> {
  const fail = (key: string, reason: string, cause?: unknown): never => {
    throw new LnError('LN_ERR_CONFIG_INVALID', { key, source: label, reason }, cause ? { cause } : undefined);
  };
  let text = '';
  try {
    const stat = statSync(path);
    if (!stat.isFile()) fail('(file)', 'it is not a regular file');
    if (stat.size > MAX_CONFIG_FILE_BYTES) fail('(file)', `it is ${stat.size} bytes, over the limit of ${MAX_CONFIG_FILE_BYTES}`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (isLnError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    fail('(file)', code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'permission denied' : `cannot read it: ${(err as Error).message}`, err);
  }
  return parseConfigText(text, label, extname(path).toLowerCase() === '.json' ? 'json' : 'yaml');
}

let stdinText: string | undefined;

/**
 * The config text on this process's stdin (`--config -`), read once: a reload sees the same text.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` with key `(file)` when it cannot be read or is too large
 */
export function stdinConfigText(): string {
  if (stdinText !== undefined) return stdinText;
  let bytes: Buffer;
  try {
    bytes = readFileSync(0);
  } catch (err) {
    throw new LnError('LN_ERR_CONFIG_INVALID', { key: '(file)', source: 'stdin', reason: `cannot read stdin: ${(err as Error).message}` }, { cause: err });
  }
  if (bytes.length > MAX_CONFIG_FILE_BYTES) {
    throw new LnError('LN_ERR_CONFIG_INVALID', {
      key: '(file)',
      source: 'stdin',
      reason: `it is ${bytes.length} bytes, over the limit of ${MAX_CONFIG_FILE_BYTES}`,
    });
  }
  stdinText = bytes.toString('utf8');
  return stdinText;
}

/**
 * Parses and flattens config text (`json`, or `yaml`: YAML is a superset of JSON, so text from
 * stdin is read as YAML).
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` as `readConfigFile`
 */
export function parseConfigText(text: string, label: string, format: 'json' | 'yaml'): Map<string, unknown> {
  const fail = (key: string, reason: string, cause?: unknown): never => {
    throw new LnError('LN_ERR_CONFIG_INVALID', { key, source: label, reason }, cause ? { cause } : undefined);
  };
  if (Buffer.byteLength(text) > MAX_CONFIG_FILE_BYTES) fail('(file)', `it is ${Buffer.byteLength(text)} bytes, over the limit of ${MAX_CONFIG_FILE_BYTES}`);
  let value: unknown;
  try {
    value = format === 'json' ? JSON.parse(text) : yaml().parse(text, { maxAliasCount: MAX_YAML_ALIASES, uniqueKeys: true, prettyErrors: false, strict: true });
  } catch (err) {
    fail(
      '(file)',
      `not valid ${format === 'json' ? 'JSON' : 'YAML'}: ${String((err as Error).message)
        .split('\n')[0]!
        .slice(0, 200)}`,
      err,
    );
  }
  if (value === null || value === undefined) return new Map(); // an empty file: all defaults
  if (valueTooDeep(value)) fail('(file)', tooDeepReason());
  const out = new Map<string, unknown>();
  const walk = (group: string, object: unknown): void => {
    if (object === null || typeof object !== 'object' || Array.isArray(object)) fail(group || '(top level)', 'expected an object of keys');
    const known = GROUPS.get(group) ?? [];
    for (const [name, raw] of Object.entries(object as Record<string, unknown>)) {
      const key = group ? `${group}.${name}` : name;
      if (key === '$schema') continue;
      if (!known.includes(name)) fail(key, `unknown key (known${group ? ` in ${group}` : ''}: ${known.filter((k) => k !== '$schema').join(', ')})`);
      if (KEYS_BY_NAME.has(key)) out.set(key, raw);
      else walk(key, raw);
    }
  };
  walk('', value);
  return out;
}
