/**
 * The JSON Schema of the host config file (`lnano.yaml`, `--config`), for editors: published as
 * docs/host-config.schema.json by scripts/write-schemas.mjs. Generated from the key table
 * (`CONFIG_KEYS`: each key's kind, default and doc line), the operator policy's zod schema and
 * the limits schema, so it lists exactly the keys the loader reads; a test checks the committed
 * file, deploy/lnano.yaml, and that the loader and the schema agree on sample values.
 */
import type { z } from 'zod';
import { policySchema } from '../capabilities/policy.js';
import { limitsSchema } from '../resources/limits.js';
import { zod } from '../support/schema.js';
import { DURATION_PATTERN, SIZE_PATTERN } from '../support/units.js';
import { CONFIG_KEYS, envName, GROUPS, type KeyDef } from './config-keys.js';

type JsonSchema = Record<string, unknown>;

/** A sub-schema of zod's JSON Schema output, without its own `$schema`. */
function fromZod(schema: z.ZodType): JsonSchema {
  const { $schema: _, ...rest } = zod().toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** The schema of one key's value, as a file writes it. */
function valueSchema(def: KeyDef): JsonSchema {
  const kind = def.kind;
  switch (kind.type) {
    case 'address':
      return { type: 'string', pattern: '^.*:\\d{1,5}$', examples: ['127.0.0.1:8080', '0.0.0.0:8080'] };
    case 'path':
      return { type: 'string', minLength: 1 };
    case 'secret':
      return { type: 'string', minLength: 1 };
    case 'bool':
      return { type: 'boolean' };
    case 'int':
      return { type: 'integer', minimum: kind.min, maximum: kind.max };
    case 'ratio':
      return { type: 'number', minimum: 0, maximum: 1 };
    case 'duration':
      return {
        anyOf: [
          { type: 'string', pattern: DURATION_PATTERN, description: 'e.g. 500ms, 5s, 1.5m' },
          { type: 'integer', exclusiveMinimum: 0, description: 'milliseconds' },
        ],
      };
    case 'size':
      return {
        anyOf: [
          { type: 'string', pattern: SIZE_PATTERN, description: 'e.g. 64MiB, 512KiB' },
          { type: 'integer', exclusiveMinimum: 0, description: 'bytes' },
        ],
      };
    case 'enum':
      return { type: 'string', enum: [...kind.values] };
    case 'url':
      return { anyOf: [{ type: 'string', pattern: '^https?://', format: 'uri' }, { type: 'null' }] };
    case 'origins':
      return { type: 'array', maxItems: 100, items: { type: 'string', pattern: '^https?://[^/?#]+/?$', description: 'scheme://host[:port], no path' } };
    case 'text':
      return { type: 'string', pattern: kind.pattern, examples: [kind.hint] };
    case 'list':
      return { type: 'array', maxItems: kind.max, items: { type: 'string', pattern: kind.pattern, examples: [kind.hint] } };
    case 'section':
      return fromZod(kind.section.schema());
    case 'object': {
      const policy = fromZod(policySchema);
      const properties = { ...(policy.properties as Record<string, JsonSchema>) };
      properties.limits = { ...fromZod(limitsSchema), description: (properties.limits as JsonSchema | undefined)?.description };
      return { ...policy, properties };
    }
  }
}

/** The default as a file would write it (durations back to `…ms`/`…s`, sizes to bytes). */
function fileDefault(def: KeyDef): unknown {
  if (def.default === null) return undefined;
  if (def.kind.type === 'duration') {
    const ms = def.default as number;
    return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
  }
  return def.default;
}

/** One key's schema: its value's, with the doc line, the default and how else it is set. */
function keySchema(def: KeyDef): JsonSchema {
  const also = [
    def.fileOnly ? null : `env ${envName(def.key)}`,
    def.flag ? `flag --${def.flag}` : null,
    def.live ? 'live: applies on reload' : 'needs a restart',
  ].filter(Boolean);
  const value = fileDefault(def);
  return {
    ...valueSchema(def),
    description: `${def.doc[0]!.toUpperCase()}${def.doc.slice(1)} (${also.join('; ')})`,
    ...(value === undefined ? {} : { default: value }),
  };
}

/** The schema of the group `group` ('' for the top level). */
function groupSchema(group: string): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const name of GROUPS.get(group) ?? []) {
    if (name === '$schema') continue;
    const key = group ? `${group}.${name}` : name;
    const def = CONFIG_KEYS.find((k) => k.key === key);
    properties[name] = def ? keySchema(def) : { ...groupSchema(key), description: `The ${key} keys` };
  }
  return { type: 'object', additionalProperties: false, properties };
}

/** The JSON Schema of the host config file (published as docs/host-config.schema.json). */
export function hostConfigJsonSchema(): Record<string, unknown> {
  const root = groupSchema('');
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://liquid-nano.dev/schemas/host-config.schema.json',
    title: 'Liquid Nano host config (lnano.yaml)',
    description: 'The config of `lnano serve` (--config, else LNANO_CONFIG): defaults < this file < environment (LNANO_*) < flags. See docs/config.md.',
    ...root,
    properties: {
      $schema: { type: 'string', description: 'The JSON Schema of this file, for editors (ignored by the host)' },
      ...(root.properties as Record<string, JsonSchema>),
    },
  };
}
