// The JSON Schemas editors use (issue 21, item 6): the host config's (docs/host-config.schema.json)
// is generated from the loader's key table and checked against the loader on real files, so the
// two cannot drift; every field of the three schemas has a description; size and duration strings
// have a pattern that accepts exactly what the parsers accept.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CONFIG_KEYS } from '../../../host/config/config-keys.js';
import { hostConfigJsonSchema } from '../../../host/config/config-schema.js';
import { resolveHostConfig } from '../../../host/config/host-config.js';
import { pipelineJsonSchema } from '../../../host/pipelines/pipeline-schema.js';
import { DURATION_PATTERN, parseByteSize, parseDurationMs, SIZE_PATTERN } from '../../../host/support/units.js';
import { manifestJsonSchema } from '../../../host/versions/manifest.js';
import { ROOT } from '../../helpers/cli.js';

type Schema = Record<string, unknown>;

const schema = hostConfigJsonSchema();
const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(schema);

/** Whether the loader accepts `text` as a config file. */
function loaderAccepts(text: string): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'lnano-config-schema-'));
  const file = join(dir, 'lnano.yaml');
  writeFileSync(file, text);
  try {
    resolveHostConfig({ env: {}, cwd: dir, file });
    return true;
  } catch {
    return false;
  }
}

/** A config file (YAML text) setting the dotted `key` to `value`. */
function fileWith(key: string, value: unknown): { text: string; object: Schema } {
  const object: Schema = {};
  const parts = key.split('.');
  let at = object;
  for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Schema;
  at[parts.at(-1)!] = value;
  return { text: JSON.stringify(object), object };
}

/** Every property schema of `node` with its path (objects' `properties`, through items, anyOf and $defs). */
function properties(node: unknown, path = ''): Array<[string, Schema]> {
  if (node === null || typeof node !== 'object') return [];
  const out: Array<[string, Schema]> = [];
  const s = node as Schema;
  for (const [name, child] of Object.entries((s.properties as Record<string, Schema> | undefined) ?? {})) {
    out.push([`${path}.${name}`, child], ...properties(child, `${path}.${name}`));
  }
  for (const key of ['items', 'additionalProperties', 'not']) if (typeof s[key] === 'object') out.push(...properties(s[key], `${path}[]`));
  for (const key of ['anyOf', 'oneOf', 'allOf'])
    for (const [i, child] of ((s[key] as unknown[]) ?? []).entries()) out.push(...properties(child, `${path}|${i}`));
  for (const [name, child] of Object.entries((s.$defs as Record<string, Schema> | undefined) ?? {})) out.push(...properties(child, `#${name}`));
  return out;
}

describe('the host config JSON Schema', () => {
  it('docs/host-config.schema.json is up to date (npm run docs:schema)', () => {
    expect(JSON.parse(readFileSync(join(ROOT, 'docs', 'host-config.schema.json'), 'utf8'))).toEqual(schema);
  });

  it('has exactly the keys the loader reads, each with its description', () => {
    // The policy and the subsystems' sections (config-sections.ts) are one key each.
    const whole = ['policy', ...CONFIG_KEYS.filter((k) => k.kind.type === 'section').map((k) => k.key)];
    const leaves = properties(schema)
      .filter(([path, s]) => s.type !== 'object' || whole.includes(path.slice(1)))
      .map(([path]) => path.slice(1))
      .filter((path) => !whole.some((key) => path.startsWith(`${key}.`)));
    expect(leaves.sort()).toEqual(['$schema', ...CONFIG_KEYS.map((k) => k.key)].sort());
    for (const def of CONFIG_KEYS) {
      const at = properties(schema).find(([path]) => path === `.${def.key}`)![1];
      expect(String(at.description)).toContain(def.doc.slice(1));
    }
  });

  it('accepts deploy/lnano.yaml, as the loader does', () => {
    const text = readFileSync(join(ROOT, 'deploy', 'lnano.yaml'), 'utf8');
    expect(validate(parseYaml(text)), JSON.stringify(validate.errors)).toBe(true);
    // The loader with deploy/lnano.yaml as it is (its paths need not exist to be resolved).
    expect(() => resolveHostConfig({ env: {}, cwd: ROOT, file: join(ROOT, 'deploy', 'lnano.yaml') })).not.toThrow();
  });

  // Each row: a key, then values the loader must take and values it must refuse; the schema must agree.
  it.each([
    ['listen', ['0.0.0.0:8080', '[::1]:0'], ['8080', 'localhost', 8080]],
    ['logLevel', ['debug', 'silent'], ['verbose', 3]],
    ['seed', [true, false], ['yes', 1]],
    ['retain', [1, 1000], [0, 1001, 2.5, '5']],
    ['timeout', ['500ms', '5s', '1.5m', 250], ['1h', 'soon', '', -1, 0]],
    ['standbyWarm', ['60s', 1000], ['60 sec', 'm']],
    ['ingress.maxBodyBytes', ['1MiB', '512KiB', '64KB', 1024], ['1TB', 'lots', '1 megabyte', 0]],
    ['tracing.sampleRatio', [0, 0.5, 1], [1.5, -0.1, 'half']],
    ['tracing.otlpEndpoint', ['http://collector:4318/v1/traces', null], ['ftp://x']],
    ['ingress.allowedOrigins', [['https://app.example', 'http://localhost:3000']], ['https://app.example', [3]]],
    ['sandbox.isolation', ['shared', 'inline'], ['worker', 'none']],
    ['runtime.concurrency.global', [1, 256], [0, 'many']],
    [
      'llm',
      [
        {
          providers: { p: { type: 'openai', baseUrl: 'http://127.0.0.1:1/v1' } },
          aliases: { fast: [{ provider: 'p', model: 'm' }] },
          retry: { baseDelay: '50ms' },
        },
      ],
      [{ providers: { p: { type: 'grpc' } }, aliases: {} }, { providers: {}, aliases: { fast: [] } }, { providers: {}, aliases: {}, extra: 1 }, 'on'],
    ],
    [
      'policy',
      [{ http: { allow: ['api.example.com:443'] }, limits: { memory: '64MiB', timeout: '2s' } }],
      [{ nope: 1 }, { limits: { memory: 'big' } }, 'open'],
    ],
  ] as const)('%s: the schema and the loader agree', (key, good, bad) => {
    for (const value of good) {
      const { text, object } = fileWith(key, value);
      expect(loaderAccepts(text), `loader, ${key}=${JSON.stringify(value)}`).toBe(true);
      expect(validate(object), `schema, ${key}=${JSON.stringify(value)}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    for (const value of bad) {
      const { text, object } = fileWith(key, value);
      expect(loaderAccepts(text), `loader, ${key}=${JSON.stringify(value)}`).toBe(false);
      expect(validate(object), `schema, ${key}=${JSON.stringify(value)}`).toBe(false);
    }
  });

  it('refuses unknown keys at every level, as the loader does', () => {
    for (const object of [{ lisen: '1.2.3.4:5' }, { runtime: { maxDept: 3 } }, { runtime: { concurrency: { all: 3 } } }]) {
      expect(validate(object)).toBe(false);
      expect(loaderAccepts(JSON.stringify(object))).toBe(false);
    }
    expect(validate({ $schema: '../docs/host-config.schema.json' })).toBe(true);
  });
});

describe('the schemas editors use', () => {
  it.each([
    ['manifest', manifestJsonSchema()],
    ['pipeline', JSON.parse(JSON.stringify(pipelineJsonSchema())) as Schema],
    ['host-config', schema],
  ])('%s: every field has a description', (_name, s) => {
    const missing = properties(s)
      .filter(([, child]) => typeof child.description !== 'string' || child.description.length < 8)
      .map(([path]) => path);
    expect(missing).toEqual([]);
  });

  it("check size and duration strings with the parsers' own patterns", () => {
    const manifest = JSON.stringify(manifestJsonSchema());
    expect(manifest).toContain(JSON.stringify(SIZE_PATTERN));
    expect(manifest).toContain(JSON.stringify(DURATION_PATTERN));
    expect(JSON.stringify(pipelineJsonSchema())).toContain(JSON.stringify(DURATION_PATTERN));
    const accepts = (parse: () => unknown): boolean => {
      try {
        parse();
        return true;
      } catch {
        return false;
      }
    };
    // What the pattern matches, the parser takes (and the reverse, for values in range).
    for (const [text, ok] of [
      ['64MiB', true],
      ['1.5KiB', true],
      ['100', true],
      ['10 MB', true],
      ['lots', false],
      ['1TB', false],
      ['-1', false],
      ['MiB', false],
    ] as const) {
      expect(new RegExp(SIZE_PATTERN).test(text), text).toBe(ok);
      expect(
        accepts(() => parseByteSize(text, 'x', 'test')),
        text,
      ).toBe(ok);
    }
    for (const [text, ok] of [
      ['500ms', true],
      ['2s', true],
      ['1.5m', true],
      ['250', true],
      ['1h', false],
      ['soon', false],
      ['-1s', false],
    ] as const) {
      expect(new RegExp(DURATION_PATTERN).test(text), text).toBe(ok);
      expect(
        accepts(() => parseDurationMs(text, 'x', 'test')),
        text,
      ).toBe(ok);
    }
  });
});
