/**
 * The desired state of one plugin name, as the cluster keeps it (one JetStream KV entry per
 * name, key = the name): the active version with its digest and manifest, the previous one, a
 * canary and its weight, the strategy, the retained versions a rollback may pick, and what
 * changed last (who, from which host, when). `routes` and `pipelines` are reserved for the
 * cluster's next steps; keys this version does not know are kept when it rewrites a record.
 *
 * `nextRecord` is the one place a change becomes a record: the same rules as the local
 * registry (a canary needs an active version, promote needs a canary, a rollback names a
 * retained version).
 */
import { z } from 'zod';
import type { JsonEnvelope } from '../engine/plugin-event.js';
import { LnError } from '../errors/ln-error.js';
import { describeIssues } from '../support/schema.js';
import type { JsonObject } from '../versions/audit-trail.js';
import { STRATEGIES, type Strategy } from '../versions/deployment.js';
import type { DesiredActor, DesiredChange, DesiredVersion } from '../versions/desired-state-port.js';
import { PLUGIN_NAME, VERSION } from '../versions/manifest.js';

/** The record format this host writes and reads. */
export const DESIRED_SCHEMA = 'liquid-nano/desired-state@1';
/** The largest record read, bytes (a KV entry is at most 1 MiB by default). */
export const MAX_RECORD_BYTES = 512 * 1024;

const versionSchema = z.looseObject({
  version: z.string().regex(VERSION),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  manifest: z.record(z.string(), z.unknown()),
  probe: z.record(z.string(), z.unknown()).optional(),
});

const recordSchema = z.looseObject({
  schema: z.literal(DESIRED_SCHEMA),
  name: z.string().regex(PLUGIN_NAME),
  active: versionSchema.nullable(),
  previous: versionSchema.nullable(),
  canary: versionSchema.extend({ weight: z.number().int().min(0).max(100) }).nullable(),
  strategy: z.enum(STRATEGIES),
  retained: z.array(versionSchema).max(1000),
  routes: z.array(z.unknown()).max(1000).default([]),
  pipelines: z.array(z.unknown()).max(1000).default([]),
  change: z.looseObject({
    kind: z.enum(['deploy', 'promote', 'abort', 'canary-weight', 'rollback']),
    version: z.string().max(80).nullable(),
    actor: z.string().max(256),
    reason: z.string().max(1024).nullable(),
    automatic: z.boolean(),
    host: z.string().max(64),
    at: z.string().max(64),
  }),
});

/** One name's desired state. */
export type DesiredRecord = z.infer<typeof recordSchema>;

/**
 * Parses an entry's bytes as the record of `key`.
 *
 * @throws LnError `LN_ERR_VERSION_DESIRED_STATE_INVALID` for anything else: not a plugin name, too
 *   large, not JSON, another schema, a malformed field, a record naming another key
 */
export function parseDesiredRecord(key: string, bytes: Uint8Array): DesiredRecord {
  const shown = key.slice(0, 80);
  const invalid = (reason: string): LnError => new LnError('LN_ERR_VERSION_DESIRED_STATE_INVALID', { key: shown, reason });
  if (!PLUGIN_NAME.test(key)) throw invalid('the key is not a plugin name');
  if (bytes.length > MAX_RECORD_BYTES) throw invalid(`the record is ${bytes.length} bytes, over ${MAX_RECORD_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid('not UTF-8 JSON');
  }
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) throw invalid(describeIssues(parsed.error).slice(0, 400));
  if (parsed.data.name !== key) throw invalid(`the record names "${parsed.data.name.slice(0, 64)}"`);
  return parsed.data;
}

/** Where a change happens, for the record's `change`. */
export interface ChangeOrigin {
  readonly host: string;
  readonly at: Date;
  /** Retained versions kept in the record (`retain` of the host config, plus the active one). */
  readonly retain: number;
}

/** A version as a record holds it. */
export type RecordVersion = NonNullable<DesiredRecord['active']>;

/** A version without a canary's weight or keys this host does not know. */
const strip = (v: DesiredVersion | RecordVersion): RecordVersion => ({
  version: v.version,
  digest: v.digest,
  manifest: v.manifest,
  ...(v.probe ? { probe: v.probe } : {}),
});

/** A record's version as the version manager takes it. */
export function desiredVersion(v: RecordVersion): DesiredVersion {
  return { version: v.version, digest: v.digest, manifest: v.manifest as JsonObject, ...(v.probe ? { probe: v.probe as JsonEnvelope } : {}) };
}

/**
 * The record after `change`, or null when the record says so already (nothing to write).
 *
 * @throws LnError `LN_ERR_VERSION_STATE` when the desired state does not allow the change,
 *   `LN_ERR_VERSION_NOT_FOUND` for a rollback to a version the record does not retain
 */
export function nextRecord(name: string, current: DesiredRecord | null, change: DesiredChange, who: DesiredActor, origin: ChangeOrigin): DesiredRecord | null {
  const refuse = (action: string, reason: string): LnError =>
    new LnError('LN_ERR_VERSION_STATE', { action, name, reason: `${reason} (cluster desired state)` });
  const base: DesiredRecord = current ?? {
    schema: DESIRED_SCHEMA,
    name,
    active: null,
    previous: null,
    canary: null,
    strategy: 'immediate',
    retained: [],
    routes: [],
    pipelines: [],
    change: { kind: 'deploy', version: null, actor: who.actor, reason: null, automatic: false, host: origin.host, at: origin.at.toISOString() },
  };
  const stamp = (kind: DesiredChange['kind'], version: string | null) => ({
    kind,
    version,
    actor: who.actor.slice(0, 256),
    reason: who.reason?.slice(0, 1024) ?? null,
    automatic: who.automatic === true,
    host: origin.host,
    at: origin.at.toISOString(),
  });
  const retain = (list: RecordVersion[]): RecordVersion[] => {
    const seen = new Set<string>();
    return list.filter((v) => !seen.has(v.version) && seen.add(v.version)).slice(0, origin.retain + 2);
  };
  switch (change.kind) {
    case 'deploy': {
      const target = strip(change.target);
      const same = (v: RecordVersion | null) => v !== null && v.version === target.version && v.digest === target.digest;
      if (change.strategy === 'canary') {
        if (!base.active) throw refuse('deploy a canary of', 'no version is active to share the calls with');
        if (same(base.canary) && base.canary!.weight === change.canaryWeight) return null;
        return {
          ...base,
          canary: { ...target, weight: change.canaryWeight },
          retained: retain([target, ...base.retained]),
          change: stamp('deploy', target.version),
        };
      }
      if (same(base.active) && base.canary === null && base.strategy === change.strategy) return null;
      return {
        ...base,
        active: target,
        previous: same(base.active) ? base.previous : base.active,
        canary: null,
        strategy: change.strategy,
        retained: retain([target, ...base.retained]),
        change: stamp('deploy', target.version),
      };
    }
    case 'promote': {
      if (!base.canary) throw refuse('promote', 'no canary is deployed');
      return { ...base, active: strip(base.canary), previous: base.active, canary: null, strategy: 'canary', change: stamp('promote', base.canary.version) };
    }
    case 'abort':
      if (!base.canary) return null;
      return { ...base, canary: null, change: stamp('abort', base.canary.version) };
    case 'canary-weight':
      if (!base.canary) throw refuse('set the canary weight of', 'no canary is deployed');
      if (base.canary.weight === change.weight) return null;
      return { ...base, canary: { ...base.canary, weight: change.weight }, change: stamp('canary-weight', base.canary.version) };
    case 'rollback': {
      if (base.canary) throw refuse('roll back', `the canary ${base.canary.version} is deployed; abort it instead`);
      if (base.active?.version === change.to) return null;
      const target = [...(base.previous ? [base.previous] : []), ...base.retained].find((v) => v.version === change.to);
      if (!target) throw new LnError('LN_ERR_VERSION_NOT_FOUND', { name, version: change.to });
      return { ...base, active: strip(target), previous: base.active, change: stamp('rollback', change.to) };
    }
  }
}

/** The strategy a host deploys the active version of a record with (a promoted canary's is `immediate`). */
export function activeStrategy(record: DesiredRecord): Strategy {
  return record.strategy === 'canary' ? 'immediate' : record.strategy;
}
