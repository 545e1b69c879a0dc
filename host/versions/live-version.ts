/**
 * A version that runs: one `name@version` with its manifest, resolved grants and limits, its pool
 * of warm instances and its health window. The version manager routes calls to it; it knows
 * nothing of other versions or of the registry.
 */

import type { InstanceGrants } from '../capabilities/grants.js';
import { handleGuestNotification } from '../capabilities/guest-notifications.js';
import { linkerSpec } from '../capabilities/linker-spec.js';
import { type CallableExport, type Component, findExport } from '../engine/component.js';
import { eventToEnvelope, type JsonEnvelope, type PluginEvent } from '../engine/plugin-event.js';
import { LnError, type SerializedError, toLnError } from '../errors/ln-error.js';
import { GuestLogQueue } from '../log/guest-log-queue.js';
import type { Logger } from '../log/logger.js';
import { InstancePool, type PoolStats } from '../resources/instance-pool.js';
import type { Limits } from '../resources/limits.js';
import { isolationFor } from '../resources/metering.js';
import { loggerOutput } from '../sandbox/guest-output.js';
import type { IncomingHttpCall } from '../sandbox/incoming-http-types.js';
import type { CallOptions, Instance } from '../sandbox/instance.js';
import type { NotifyMessage } from '../sandbox/protocol.js';
import { type Usage, usageFromDetails } from '../sandbox/usage.js';
import type { VersionRecord } from './deployment.js';
import { type HealthPolicy, type HealthSummary, HealthWindow, isVersionFault } from './health-window.js';
import type { Manifest } from './manifest.js';

/**
 * One plugin version's answer to one event (the shape of the event runtime's per-plugin outcome).
 * `usage` is the call's receipt (absent when the call never reached an instance).
 */
export type PluginCallOutcome =
  | {
      readonly plugin: string;
      readonly version: string;
      readonly ok: true;
      readonly events: JsonEnvelope[];
      readonly durationMs: number;
      readonly usage?: Usage;
    }
  | {
      readonly plugin: string;
      readonly version: string;
      readonly ok: false;
      readonly error: SerializedError | { code: 'LN_ERR_GUEST_ERROR'; value: unknown };
      readonly durationMs?: number;
      readonly usage?: Usage;
    };

/** Everything a running version is made of. */
export interface LiveVersionSpec {
  readonly record: VersionRecord;
  readonly manifest: Manifest;
  /** Loaded with `meterFor(limits)`. */
  readonly component: Component;
  readonly grants: InstanceGrants;
  readonly limits: Limits;
  /** Bound to the name and version already. */
  readonly logger: Logger;
  readonly health: HealthPolicy;
  /** Every notification of its instances (log lines, metrics, emitted events), after the version's own handling. */
  readonly onNotify?: (message: NotifyMessage) => void;
  /** The clock latencies are measured with, ms. */
  readonly now?: () => number;
  /** Every handled call (probes excluded), once it finished: for metrics. */
  readonly onCall?: (call: CallRecord) => void;
}

/** One finished call of a version, as observers (the metrics registry) see it. */
export interface CallRecord {
  readonly name: string;
  readonly version: string;
  readonly ok: boolean;
  /** The error code of a failed call (`LN_ERR_GUEST_ERROR` for an `err` result); null when ok. */
  readonly code: string | null;
  /** From the call being made to its outcome (queueing for an instance included), ms. */
  readonly durationMs: number;
  /** The call's usage receipt; undefined when it never reached a worker (e.g. refused while queued). */
  readonly usage: Usage | undefined;
}

/** How an HTTP component's call ended: ok (the response went out through the rings) or the failure. */
export type HttpCallOutcome =
  | { readonly ok: true; readonly version: string; readonly usage: Usage }
  | { readonly ok: false; readonly version?: string; readonly error: LnError };

/** A guest's returned events as JSON envelopes (an empty list without a call to `map`). */
function envelopesOf(events: readonly PluginEvent[]): JsonEnvelope[] {
  const out: JsonEnvelope[] = [];
  for (let i = 0; i < events.length; i++) out.push(eventToEnvelope(events[i]!));
  return out;
}

/** How long `teardown` may take on each instance when a version is retired, ms. */
const TEARDOWN_TIMEOUT_MS = 1000;

/** The usage receipts of a version's calls, summed (failed calls count what they used too). */
export interface UsageTotals {
  calls: number;
  durationMs: number;
  /** Instructions (0 when the version is not fuel-metered). */
  fuelUsed: number;
  bytesIn: number;
  bytesOut: number;
  /** The largest instance memory seen after a call, bytes. */
  peakMemoryBytes: number;
  hostCalls: Record<string, number>;
}

/** A running version. Build it, `warm()`, `initialize()`; then `handle()` events; finally `close()`. */
export class LiveVersion {
  readonly name: string;
  readonly version: string;
  /** `sha256:<hex>`. */
  readonly digest: string;
  readonly record: VersionRecord;
  readonly manifest: Manifest;
  readonly component: Component;
  readonly limits: Limits;
  readonly health: HealthWindow;
  /**
   * Until when (on the manager's clock, ms) an unhealthy window rolls this version back; set by the
   * manager when a deploy swaps it in, -Infinity otherwise.
   */
  watchedUntil = Number.NEGATIVE_INFINITY;
  readonly #pool: InstancePool;
  readonly #handle: CallableExport;
  readonly #init: CallableExport | undefined;
  readonly #usage: UsageTotals = { calls: 0, durationMs: 0, fuelUsed: 0, bytesIn: 0, bytesOut: 0, peakMemoryBytes: 0, hostCalls: {} };
  /** Set once `initialize()` ran: later instances get `init` too. */
  #initialized = false;
  /** The state restored into this version: later instances get it too. */
  #state: Uint8Array | undefined;
  readonly #teardown: CallableExport | undefined;
  readonly #snapshot: CallableExport | undefined;
  readonly #restore: CallableExport | undefined;
  readonly #log: Logger;
  /** Guest log lines on their way to `#log` (written on a later turn; flushed by `close`). */
  readonly #guestLines: GuestLogQueue;
  readonly #now: () => number;
  readonly #onCall: ((call: CallRecord) => void) | undefined;
  #closing: Promise<void> | undefined;

  /** @throws LnError `LN_ERR_LOAD_INVALID` when the component does not export `liquid-nano:plugin/handler#handle` */
  constructor(spec: LiveVersionSpec) {
    const { record, component } = spec;
    this.name = record.name;
    this.version = record.version;
    this.digest = record.digest;
    this.record = record;
    this.manifest = spec.manifest;
    this.component = component;
    this.limits = spec.limits;
    this.health = new HealthWindow(spec.health);
    this.#log = spec.logger;
    this.#guestLines = new GuestLogQueue(spec.logger);
    this.#now = spec.now ?? (() => performance.now());
    this.#onCall = spec.onCall;
    const handle =
      component.kind === 'plugin'
        ? findExport(component.shape, 'handler#handle')
        : component.kind === 'http-proxy'
          ? findExport(component.shape, 'incoming-handler#handle')
          : undefined;
    if (!handle)
      throw new LnError('LN_ERR_LOAD_INVALID', {
        subject: `${this.name}@${this.version}`,
        reason: 'it is neither a plugin (liquid-nano:plugin/handler) nor a wasi:http/proxy component (wasi:http/incoming-handler)',
      });
    this.#handle = handle;
    this.#init = findExport(component.shape, 'lifecycle#init');
    this.#teardown = findExport(component.shape, 'lifecycle#teardown');
    this.#snapshot = findExport(component.shape, 'state#snapshot');
    this.#restore = findExport(component.shape, 'state#restore');
    this.#pool = new InstancePool(component, {
      name: `${this.name}@${this.version}`,
      limits: spec.limits,
      logger: spec.logger,
      prepare: (instance) => this.#prepare(instance),
      instance: {
        linker: linkerSpec(spec.grants),
        // An HTTP component blocks its thread while it waits for the request body or the client:
        // it gets a worker of its own, like a component granted blocking I/O.
        isolation: component.kind === 'http-proxy' ? 'worker' : isolationFor(spec.limits, spec.grants),
        output: loggerOutput(spec.logger),
        onNotify: (message) => {
          handleGuestNotification(this.#guestLines, message);
          spec.onNotify?.(message);
        },
      },
    });
  }

  /** Whether it is a `wasi:http/proxy` component (served on routes, not sent events). */
  get http(): boolean {
    return this.component.kind === 'http-proxy';
  }

  /**
   * Serves one HTTP request (`wasi:http/incoming-handler#handle`); the request and response
   * travel through the rings named in `http` (see `server/http-routes/`). A failure is an
   * `{ ok: false }` outcome, never a throw, and counts in the health window like a plugin's.
   */
  async serveHttp(http: IncomingHttpCall, options: CallOptions = {}): Promise<HttpCallOutcome> {
    const started = this.#now();
    const callOptions: CallOptions = { ...options, http };
    try {
      const outcome = await this.#pool.call(this.#handle, [], callOptions);
      this.health.record(false, this.#now() - started);
      this.#account(outcome.usage, 'ok');
      this.#onCall?.({ name: this.name, version: this.version, durationMs: this.#now() - started, ok: true, code: null, usage: outcome.usage });
      return { ok: true, version: this.version, usage: outcome.usage };
    } catch (err) {
      const error = toLnError(err);
      this.health.record(isVersionFault(error), this.#now() - started);
      const usage = usageFromDetails(error.details);
      this.#account(usage, error.code);
      this.#onCall?.({ name: this.name, version: this.version, durationMs: this.#now() - started, ok: false, code: error.code, usage });
      this.#log.warn({ code: error.code, err: error }, 'http call failed');
      return { ok: false, version: this.version, error };
    }
  }

  /** Whether it exports `liquid-nano:plugin/state` (both `snapshot` and `restore`). */
  get stateful(): boolean {
    return this.#snapshot !== undefined && this.#restore !== undefined;
  }

  /** Whether it exports `lifecycle.init`. */
  get hasInit(): boolean {
    return this.#init !== undefined;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Starts the warm minimum of instances. @throws LnError when one cannot start (e.g. `LN_ERR_GUEST_INIT`) */
  warm(): Promise<void> {
    return this.#pool.warm();
  }

  /**
   * Drops its idle instances and keeps none warm (a retained standby: rollback target, old side
   * of a blue-green swap); it keeps its compiled modules, and a call re-instantiates on demand.
   */
  park(): Promise<void> {
    return this.#pool.park();
  }

  /** Keeps the warm minimum again (the version goes live). @throws LnError when an instance cannot start */
  unpark(): Promise<void> {
    return this.#pool.unpark();
  }

  /**
   * Calls `lifecycle.init(config)` on every warm instance (once each; none when not exported) and
   * returns on how many. Instances the pool starts later (growth, replacements) get it before
   * their first call.
   *
   * @throws LnError `LN_ERR_GUEST_INIT` when `init` returns an error, or what the call threw
   */
  async initialize(): Promise<number> {
    if (!this.#init) return 0;
    const count = await this.#onEveryInstance(this.#init, [this.#config()], 'lifecycle.init');
    this.#initialized = true;
    return count;
  }

  #config(): Array<[string, string]> {
    return Object.entries(this.manifest.config).sort(([a], [b]) => (a < b ? -1 : 1));
  }

  /**
   * What every instance the pool starts later (growth, replacements) gets before its first call:
   * `init` once the version was initialized, and the state it was restored with.
   */
  async #prepare(instance: Instance): Promise<void> {
    const steps: Array<[CallableExport | undefined, readonly unknown[], string]> = [];
    if (this.#initialized) steps.push([this.#init, [this.#config()], 'lifecycle.init']);
    if (this.#state) steps.push([this.#restore, [this.#state], 'state.restore']);
    for (const [target, args, what] of steps) {
      if (!target) continue;
      const outcome = await instance.call(target, args);
      if (outcome.errResult) {
        const value = String(outcome.value).slice(0, 500);
        throw what === 'lifecycle.init'
          ? new LnError('LN_ERR_GUEST_INIT', { reason: `lifecycle.init returned an error: ${value}` })
          : new LnError('LN_ERR_GUEST_ERROR', { call: what, value });
      }
    }
  }

  /**
   * Handles one event. Guest errors and failures become a `{ ok: false }` outcome, never a throw.
   * The outcome goes into the health window unless `record` is false (probes).
   */
  async handle(event: PluginEvent, options: CallOptions & { record?: boolean } = {}): Promise<PluginCallOutcome> {
    // The options go to the pool whole (it reads only its own keys): no rest copy per call.
    const record = options.record !== false;
    const started = this.#now();
    try {
      const outcome = await this.#pool.call(this.#handle, [event], options);
      const failed = outcome.errResult;
      if (record) this.health.record(failed, this.#now() - started);
      this.#account(outcome.usage, failed ? 'err' : 'ok');
      if (record && this.#onCall) {
        this.#onCall({
          name: this.name,
          version: this.version,
          durationMs: this.#now() - started,
          ok: !failed,
          code: failed ? 'LN_ERR_GUEST_ERROR' : null,
          usage: outcome.usage,
        });
      }
      // Object literals with every key in place (a `{ ...base, ... }` spread takes V8's slow path).
      if (failed) {
        return {
          plugin: this.name,
          version: this.version,
          ok: false,
          error: { code: 'LN_ERR_GUEST_ERROR', value: outcome.value },
          durationMs: outcome.durationMs,
          usage: outcome.usage,
        };
      }
      return {
        plugin: this.name,
        version: this.version,
        ok: true,
        events: envelopesOf(outcome.value as PluginEvent[]),
        durationMs: outcome.durationMs,
        usage: outcome.usage,
      };
    } catch (err) {
      const error = toLnError(err);
      if (record) this.health.record(isVersionFault(error), this.#now() - started);
      const usage = usageFromDetails(error.details);
      this.#account(usage, error.code);
      if (record) this.#onCall?.({ name: this.name, version: this.version, durationMs: this.#now() - started, ok: false, code: error.code, usage });
      this.#log.warn({ code: error.code, err: error }, 'plugin call failed');
      return usage
        ? { plugin: this.name, version: this.version, ok: false, error: error.toJSON(), durationMs: usage.durationMs, usage }
        : { plugin: this.name, version: this.version, ok: false, error: error.toJSON() };
    }
  }

  /** What this version's calls used in total (the sum of their usage receipts). */
  usageTotals(): UsageTotals {
    return { ...this.#usage, hostCalls: { ...this.#usage.hostCalls } };
  }

  /** Adds one call's receipt to the totals and logs it (debug). */
  #account(usage: Usage | undefined, outcome: string): void {
    const u = this.#usage;
    u.calls++;
    if (!usage) return;
    u.durationMs += usage.durationMs;
    u.fuelUsed += usage.fuelUsed ?? 0;
    u.bytesIn += usage.bytesIn;
    u.bytesOut += usage.bytesOut;
    u.peakMemoryBytes = Math.max(u.peakMemoryBytes, usage.peakMemoryBytes);
    const calls = usage.hostCalls;
    for (const kind in calls) u.hostCalls[kind] = (u.hostCalls[kind] ?? 0) + calls[kind]!;
    if (this.#log.isLevelEnabled('debug')) this.#log.debug({ outcome, usage }, 'plugin call');
  }

  /** The state of one instance (`state.snapshot()`). @throws LnError when it is not stateful, or what the call threw */
  async snapshot(): Promise<Uint8Array> {
    if (!this.#snapshot) throw new LnError('LN_ERR_INTERNAL_UNEXPECTED', { reason: `${this.name}@${this.version} exports no state.snapshot` });
    const outcome = await this.#pool.call(this.#snapshot, []);
    return outcome.value as Uint8Array;
  }

  /**
   * Restores `state` into every warm instance (`state.restore(state)`, once each) and returns into
   * how many.
   *
   * @throws LnError `LN_ERR_GUEST_ERROR` when `restore` returns an error, or what the call threw
   */
  async restore(state: Uint8Array): Promise<number> {
    if (!this.#restore) throw new LnError('LN_ERR_INTERNAL_UNEXPECTED', { reason: `${this.name}@${this.version} exports no state.restore` });
    const count = await this.#onEveryInstance(this.#restore, [state], 'state.restore');
    this.#state = state;
    return count;
  }

  /** Resolves when no call is in flight or queued. */
  drain(): Promise<void> {
    return this.#pool.drain();
  }

  /** The pool's state. */
  stats(): PoolStats {
    return this.#pool.stats();
  }

  /** The health window's summary. */
  healthSummary(): HealthSummary {
    return this.health.summary();
  }

  /**
   * Waits for calls in flight, calls `lifecycle.teardown` on each idle instance (best effort,
   * 1 s each), stops every instance, and writes the guest log lines still queued. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#pool.drain();
      if (this.#teardown) {
        const idle = this.#pool.stats().idle;
        const target = this.#teardown;
        await Promise.allSettled(Array.from({ length: idle }, () => this.#pool.call(target, [], { timeoutMs: TEARDOWN_TIMEOUT_MS })));
      }
      await this.#pool.close();
      this.#guestLines.flush();
    })();
    return this.#closing;
  }

  /**
   * Calls an export once on each warm instance: as many calls at once as there are idle
   * instances, so each takes its own (the version serves no traffic yet while this runs).
   */
  async #onEveryInstance(target: CallableExport, args: readonly unknown[], what: string): Promise<number> {
    const count = Math.max(1, this.#pool.stats().idle);
    const outcomes = await Promise.all(Array.from({ length: count }, () => this.#pool.call(target, args)));
    const failed = outcomes.find((o) => o.errResult);
    if (failed) {
      const value = String(failed.value).slice(0, 500);
      throw what === 'lifecycle.init'
        ? new LnError('LN_ERR_GUEST_INIT', { reason: `lifecycle.init returned an error: ${value}` })
        : new LnError('LN_ERR_GUEST_ERROR', { call: what, value });
    }
    return count;
  }
}
