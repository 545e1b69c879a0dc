/**
 * The event runtime's settings: every default in `RUNTIME_DEFAULTS`, validated once (strictly)
 * by `resolveRuntimeSettings`.
 */
import { z } from 'zod';
import { LnError } from '../errors/ln-error.js';
import { describeIssues } from '../support/schema.js';

/**
 * Defaults of `LiquidNanoRuntime`:
 * - `maxDepth` 8: follow-up generations routed after an ingress event (depth 0); what a depth-8
 *   event's handlers return or emit is not routed (`LN_ERR_EVENT_DEPTH_LIMIT`).
 * - `maxFanOut` 64: follow-up events routed per ingress event, all generations together; past it
 *   `events.emit` returns an error to the guest and returned events are dropped
 *   (`LN_ERR_EVENT_FANOUT_LIMIT`).
 * - `maxConcurrentCalls` 256: plugin calls in flight through the runtime, all plugins together.
 * - `maxConcurrentCallsPerPlugin` 64: plugin calls in flight to one plugin name. Past either, the
 *   call is refused with `LN_ERR_EVENT_OVERLOADED` (HTTP 429); an ingress event arriving while
 *   the total is at its limit is refused as a whole.
 * - `stopOnError` false: a failing plugin does not stop the others; true: the first failure stops
 *   delivery of the ingress event (remaining plugins and follow-ups), and delivery is sequential.
 * - `delivery` `concurrent`: the plugins matching the events of one depth level are called side by
 *   side (one call per plugin at a time; the answer keeps the delivery order); `sequential`: one
 *   call after the other, each follow-up level after the previous one.
 * - `timelineCapacity` 10 000: entries the diagnostics timeline keeps (a ring; oldest evicted).
 */
export const RUNTIME_DEFAULTS = Object.freeze({
  maxDepth: 8,
  maxFanOut: 64,
  maxConcurrentCalls: 256,
  maxConcurrentCallsPerPlugin: 64,
  stopOnError: false,
  delivery: 'concurrent' as DeliveryMode,
  timelineCapacity: 10_000,
});

/** How the plugins matching one depth level's events are called (see `RUNTIME_DEFAULTS`). */
export type DeliveryMode = 'concurrent' | 'sequential';

/** The runtime's plain settings (see `RUNTIME_DEFAULTS`). */
export type RuntimeSettings = {
  -readonly [K in keyof typeof RUNTIME_DEFAULTS]: (typeof RUNTIME_DEFAULTS)[K] extends boolean
    ? boolean
    : (typeof RUNTIME_DEFAULTS)[K] extends string
      ? DeliveryMode
      : number;
};

const count = (min: number, max: number) => z.number().int().min(min).max(max);

const settingsSchema = z.strictObject({
  maxDepth: count(0, 64).optional(),
  maxFanOut: count(0, 100_000).optional(),
  maxConcurrentCalls: count(1, 1_000_000).optional(),
  maxConcurrentCallsPerPlugin: count(1, 1_000_000).optional(),
  stopOnError: z.boolean().optional(),
  delivery: z.enum(['concurrent', 'sequential']).optional(),
  timelineCapacity: count(1, 10_000_000).optional(),
});

/**
 * Validates settings and fills in the defaults; the result is frozen.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the key, for an unknown key or a value out of range
 */
export function resolveRuntimeSettings(settings: Partial<RuntimeSettings> = {}, source = 'runtime options'): Readonly<RuntimeSettings> {
  const parsed = settingsSchema.safeParse(settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LnError('LN_ERR_CONFIG_INVALID', { key: issue?.path.join('.') || '(settings)', source, reason: describeIssues(parsed.error, '', { max: 3 }) });
  }
  const defined = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  return Object.freeze({ ...RUNTIME_DEFAULTS, ...defined });
}
