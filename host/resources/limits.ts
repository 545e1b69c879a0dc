/**
 * The resource limits of a component: the manifest's `limits` section, the CLI flags that mirror
 * it (`--memory 64MiB --timeout 500ms --fuel N --concurrency N`), and the host defaults below,
 * all bounded by the operator policy's `limits` maxima.
 *
 * @example
 * { "memory": "64MiB", "timeout": "500ms", "fuel": 1000000000, "concurrency": 16, "queue": 64,
 *   "maxPayload": "1MiB", "maxOutput": "1MiB", "minInstances": 1 }
 */
import type { z } from 'zod';
import { LnError } from '../errors/ln-error.js';
import { describeIssues, durationSchema, isEmptySection, lazySchema, sizeSchema, zod } from '../support/schema.js';
import { formatByteSize, parseByteSize, parseDurationMs } from '../support/units.js';

/**
 * The zod schema of a `limits` section (also the shape of `policy.limits`, as maxima). Built on
 * first use (see `lazySchema`).
 */
export const limitsSchema = lazySchema(() => {
  const z = zod();
  return z.strictObject({
    memory: sizeSchema.optional().describe('Memory cap of one instance, e.g. 64MiB (flag: --memory)'),
    timeout: durationSchema.optional().describe('Wall-clock deadline of one call, e.g. 500ms (flag: --timeout)'),
    fuel: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().describe('Instruction budget of one call; none: unmetered (flag: --fuel)'),
    concurrency: z.number().int().min(1).max(1024).optional().describe('Most calls running at once (instances in the pool)'),
    queue: z.number().int().min(0).max(1_000_000).optional().describe('Most calls waiting for an instance; more are refused'),
    maxPayload: sizeSchema.optional().describe('Largest event handed to the guest, e.g. 1MiB'),
    maxOutput: sizeSchema.optional().describe('Most bytes the guest may answer or emit in one call, e.g. 1MiB'),
    minInstances: z.number().int().min(0).max(1024).optional().describe('Instances kept warm even when idle'),
    isolation: z
      .enum(['auto', 'inline', 'shared', 'worker'])
      .optional()
      .describe("Where instances run: a worker of their own, a shared worker, inline on the host's thread, or auto (see docs/sandbox.md)"),
  });
});

/** A validated `limits` section. */
export type LimitsSection = z.infer<typeof limitsSchema>;

/** The values of `limits.isolation` (the schema's enum). */
export type LimitsIsolation = NonNullable<LimitsSection['isolation']>;

/** Resolved limits, in bytes and milliseconds. */
export interface Limits {
  /**
   * Cap on each linear memory of an instance, bytes. Nearly every component has one memory, so
   * this is its instance's memory; a component with several can use the cap in each.
   */
  readonly memoryBytes: number;
  /** Wall-clock deadline of one call, ms. */
  readonly timeoutMs: number;
  /** Instructions one call may run; null: not metered (fuel is opt-in). */
  readonly fuel: number | null;
  /** Calls in flight at once (each runs on its own instance). */
  readonly concurrency: number;
  /** Calls waiting for a free instance before new ones are refused (`LN_ERR_BUDGET_CONCURRENCY`). */
  readonly queue: number;
  /** Largest call input (event, arguments), bytes. */
  readonly maxPayloadBytes: number;
  /** Largest call output (result, emitted events), bytes. */
  readonly maxOutputBytes: number;
  /** Instances kept warm even when idle. */
  readonly minInstances: number;
  /**
   * Where instances run when nothing they are granted can block the thread (else always a worker
   * of their own): `inline`: on the host's main thread; `shared`: a sandbox worker shared with
   * other components' instances; `worker`: a worker of its own; `auto` (default): the host's
   * choice (`sandbox.isolation` of the host config). A policy's value is a floor: `worker` puts
   * every component in its own worker, `shared` keeps every component off the main thread.
   * See docs/sandbox.md.
   */
  readonly isolation: LimitsIsolation;
}

/** Host defaults, documented in docs/limits.md. */
export const LIMIT_DEFAULTS: Limits = Object.freeze({
  memoryBytes: 256 * 1024 * 1024,
  timeoutMs: 5_000,
  fuel: null,
  concurrency: 4,
  queue: 256,
  maxPayloadBytes: 1024 * 1024,
  maxOutputBytes: 4 * 1024 * 1024,
  minInstances: 1,
  isolation: 'auto',
});

/** Hard ceilings no manifest, flag or policy can pass. */
const CEILINGS = { memoryBytes: 4 * 1024 ** 3, maxPayloadBytes: 64 * 1024 ** 2, maxOutputBytes: 64 * 1024 ** 2 };

/**
 * Validates a `limits` section.
 *
 * @throws LnError `LN_ERR_MANIFEST_INVALID` (manifests) or `LN_ERR_CONFIG_INVALID` (flags, config)
 */
export function parseLimits(value: unknown, source: string, kind: 'manifest' | 'config' = 'manifest'): LimitsSection {
  // An empty section (no manifest, no limit flags) is `{}` without zod being loaded.
  if (isEmptySection(value)) return {};
  const parsed = limitsSchema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const reason = describeIssues(parsed.error, kind === 'manifest' ? 'limits' : 'policy.limits');
  throw kind === 'manifest'
    ? new LnError('LN_ERR_MANIFEST_INVALID', { file: source, reason })
    : new LnError('LN_ERR_CONFIG_INVALID', { key: 'policy.limits', source, reason });
}

/** Converts a section to numbers, with `base` for what it leaves out. */
function toLimits(section: LimitsSection, base: Limits, source: string, prefix: string): Limits {
  const bytes = (v: string | number | undefined, key: string, fallback: number): number =>
    v === undefined ? fallback : parseByteSize(v, `${prefix}.${key}`, source);
  return {
    memoryBytes: bytes(section.memory, 'memory', base.memoryBytes),
    timeoutMs: section.timeout === undefined ? base.timeoutMs : parseDurationMs(section.timeout, `${prefix}.timeout`, source),
    fuel: section.fuel ?? base.fuel,
    concurrency: section.concurrency ?? base.concurrency,
    queue: section.queue ?? base.queue,
    maxPayloadBytes: bytes(section.maxPayload, 'maxPayload', base.maxPayloadBytes),
    maxOutputBytes: bytes(section.maxOutput, 'maxOutput', base.maxOutputBytes),
    minInstances: section.minInstances ?? base.minInstances,
    isolation: section.isolation ?? base.isolation,
  };
}

/** The operator's maxima (`policy.limits`), or the hard ceilings. */
export interface LimitsPolicy {
  readonly source: string;
  readonly max: Partial<Limits>;
  /** The least isolation allowed: `worker` puts every instance in its own worker, `shared` keeps every instance off the main thread. */
  readonly isolation?: 'shared' | 'worker';
}

/** Parses `policy.limits` (maxima). */
export function parseLimitsPolicy(value: unknown, source: string): LimitsPolicy {
  const section = parseLimits(value, source, 'config');
  const none = {
    ...LIMIT_DEFAULTS,
    memoryBytes: NaN,
    timeoutMs: NaN,
    fuel: null,
    concurrency: NaN,
    queue: NaN,
    maxPayloadBytes: NaN,
    maxOutputBytes: NaN,
    minInstances: NaN,
  };
  const all = toLimits(section, none, source, 'policy.limits');
  const max = Object.fromEntries(Object.entries(all).filter(([k, v]) => k !== 'isolation' && v !== null && !Number.isNaN(v))) as Partial<Limits>;
  const floor = section.isolation === 'worker' || section.isolation === 'shared' ? section.isolation : undefined;
  return { source, max, ...(floor ? { isolation: floor } : {}) };
}

export const NO_LIMITS_POLICY: LimitsPolicy = Object.freeze({ source: 'built-in defaults', max: {} });

/**
 * Resolves limits: defaults < `sections` in order (e.g. manifest, then CLI flags), checked
 * against the policy maxima and the hard ceilings.
 *
 * @throws LnError `LN_ERR_CAP_POLICY` for a limit above the policy, `LN_ERR_CONFIG_INVALID` /
 *   `LN_ERR_MANIFEST_INVALID` for a malformed one
 */
export function resolveLimits(sections: ReadonlyArray<{ section: LimitsSection; source: string }>, policy: LimitsPolicy = NO_LIMITS_POLICY): Limits {
  let limits = LIMIT_DEFAULTS;
  for (const { section, source } of sections) limits = toLimits(section, limits, source, 'limits');
  for (const [key, ceiling] of Object.entries(CEILINGS) as Array<[keyof Limits, number]>) {
    if ((limits[key] as number) > ceiling) {
      throw new LnError('LN_ERR_CONFIG_INVALID', {
        key: `limits.${key}`,
        source: sections.at(-1)?.source ?? 'defaults',
        reason: `${formatByteSize(limits[key] as number)} is over the host's ceiling of ${formatByteSize(ceiling)}`,
      });
    }
  }
  if (policy.isolation === 'worker') limits = { ...limits, isolation: 'worker' };
  else if (policy.isolation === 'shared' && limits.isolation !== 'worker') limits = { ...limits, isolation: 'shared' };
  for (const [key, max] of Object.entries(policy.max) as Array<[keyof Limits, number]>) {
    const value = limits[key];
    if (value !== null && (value as number) > max) {
      throw new LnError('LN_ERR_CAP_POLICY', { capability: `limits.${key}`, request: String(value), policy: `policy.limits (max ${max}) in ${policy.source}` });
    }
  }
  if (limits.minInstances > limits.concurrency) {
    throw new LnError('LN_ERR_CONFIG_INVALID', {
      key: 'limits.minInstances',
      source: sections.at(-1)?.source ?? 'defaults',
      reason: `${limits.minInstances} warm instances is more than concurrency ${limits.concurrency}`,
    });
  }
  return limits;
}
