/**
 * `LiquidNanoRuntime`, the event orchestrator: routes CloudEvents-style events to the plugins
 * whose manifest `events` patterns match — side by side (or, with `delivery: 'sequential'` or
 * `stopOnError`, one after the other), the answer in a defined order (priority, then name); routes
 * the events they return or emit again, one depth level at a time, under a depth guard and a
 * fan-out budget; bounds calls in flight; runs the embedder's hooks; records every call in the
 * diagnostics timeline and as a span. See docs/runtime.md.
 */
import type { Context } from '@opentelemetry/api';
import { envelopeToEvent, eventToEnvelope, type JsonEnvelope, type PluginEvent } from '../engine/plugin-event.js';
import { LnError, toLnError } from '../errors/ln-error.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { DiagnosticsTimeline, type TimelineEntry, type TimelineInput } from '../observability/diagnostics-timeline.js';
import { endSpan, startCallSpan, startEventSpan, traceIdOf } from '../observability/runtime-tracing.js';
import type { CallOptions } from '../sandbox/instance.js';
import type { HostCallLimit, NotifyMessage } from '../sandbox/protocol.js';
import type { PluginCallOutcome } from '../versions/version-manager.js';
import type { DispatchResult, DroppedFollowUps, EventOutcome } from './dispatch-result.js';
import { FollowUpQueue, type QueuedEvent } from './follow-up-queue.js';
import type { PluginCallContext, PluginCaller } from './plugin-caller.js';
import { PluginSet, type PluginSource, type RoutedPlugin, type RuntimePlugin } from './plugin-set.js';
import { type HookName, type RuntimeHookMap, RuntimeHooks } from './runtime-hooks.js';
import { type RuntimeSettings, resolveRuntimeSettings } from './runtime-options.js';

/** Settings (see `RUNTIME_DEFAULTS`) and what the runtime is wired to. */
export interface RuntimeOptions extends Partial<RuntimeSettings> {
  /** The deployed plugins (a `VersionManager`); default none: only registered plugins. */
  readonly source?: PluginSource;
  /** Default: silent. */
  readonly logger?: Logger;
  /** The clock of timeline entries; default `new Date()`. */
  readonly clock?: () => Date;
}

/** One call as the runtime makes it. */
interface CallRequest {
  readonly depth: number;
  readonly parentEventId: string | null;
  readonly parent?: Context;
  readonly timeoutMs?: number;
  readonly pipeline?: PluginCallContext['pipeline'];
  readonly emitLimit?: HostCallLimit;
}

type CallResult = { outcome: PluginCallOutcome; entry: TimelineEntry; emitted: PluginEvent[] };

/** A call that finished and is not recorded yet (a level records its calls in delivery order). */
interface FinishedCall {
  readonly plugin: RoutedPlugin;
  readonly event: PluginEvent;
  readonly request: CallRequest;
  readonly outcome: PluginCallOutcome;
  readonly emitted: PluginEvent[];
  readonly elapsedMs: number;
  readonly traceId: string | undefined;
}

/** One plugin to get one queued event. */
interface Delivery {
  readonly plugin: RoutedPlugin;
  readonly item: QueuedEvent;
}

/** The state of one ingress event's routing. */
interface DispatchRun {
  readonly queue: FollowUpQueue;
  readonly parent: Context;
  readonly dropped: DroppedFollowUps[];
  /** The settings in force when the ingress event arrived. */
  readonly settings: Readonly<RuntimeSettings>;
}

/**
 * @example
 * const runtime = new LiquidNanoRuntime({ source: versions, logger });
 * runtime.hooks.on('beforeCall', ({ plugin }) => { if (plugin === 'blocked') throw new Error('maintenance'); });
 * const result = await runtime.dispatch(envelopeToEvent(body));   // { results, followUps, dropped, stopped }
 * runtime.timeline.query({ status: 'error' });
 */
export class LiquidNanoRuntime implements PluginCaller {
  #settings: Readonly<RuntimeSettings>;
  readonly timeline: DiagnosticsTimeline;
  readonly hooks: RuntimeHooks;
  readonly #plugins: PluginSet;
  readonly #log: Logger;
  #inFlight = 0;
  readonly #inFlightByPlugin = new Map<string, number>();
  /** The emit limits' reasons for the settings they were made for (see `#limitReasons`). */
  #reasons: { readonly settings: Readonly<RuntimeSettings>; readonly depth: string; readonly fanOut: string } | undefined;

  /** @throws LnError `LN_ERR_CONFIG_INVALID` for a setting out of range or unknown */
  constructor(options: RuntimeOptions = {}) {
    const { source, logger, clock, ...settings } = options;
    this.#settings = resolveRuntimeSettings(settings);
    this.#log = logger ?? silentLogger();
    this.timeline = new DiagnosticsTimeline(this.settings.timelineCapacity, clock);
    this.hooks = new RuntimeHooks(this.#log);
    this.#plugins = new PluginSet(source, this.#log);
  }

  /** Registers an embedder's plugin (see `RuntimePlugin`). @throws LnError `LN_ERR_EVENT_DUPLICATE_PLUGIN`, `LN_ERR_CONFIG_INVALID` */
  /** The settings in force (defaults filled in; see `RUNTIME_DEFAULTS`). */
  get settings(): Readonly<RuntimeSettings> {
    return this.#settings;
  }

  /**
   * Changes the guards while the host runs (a config hot reload); calls in flight keep the
   * settings they started with. The timeline's capacity is fixed at construction.
   *
   * @throws LnError `LN_ERR_CONFIG_INVALID` for a value out of range; nothing changes then
   */
  configure(next: Partial<Omit<RuntimeSettings, 'timelineCapacity'>>): void {
    this.#settings = resolveRuntimeSettings({ ...this.#settings, ...next, timelineCapacity: this.#settings.timelineCapacity });
  }

  register(plugin: RuntimePlugin): () => void {
    return this.#plugins.register(plugin);
  }

  /** Registers a host hook. @throws LnError `LN_ERR_EVENT_HOOK_INVALID` */
  on<K extends HookName>(name: K, fn: RuntimeHookMap[K]): () => void {
    return this.hooks.on(name, fn);
  }

  /** The plugins in delivery order. */
  get names(): string[] {
    return this.#plugins.ordered().map((p) => p.name);
  }

  /** Plugin calls in flight through the runtime. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Validates a CloudEvents-style JSON envelope and routes it. @throws as `envelopeToEvent` and `dispatch` */
  dispatchEnvelope(envelope: unknown): Promise<DispatchResult> {
    return this.dispatch(envelopeToEvent(envelope));
  }

  /**
   * Routes one ingress event and its follow-ups. Plugin failures are outcomes, never throws.
   *
   * @throws LnError `LN_ERR_EVENT_OVERLOADED` when the runtime is at `maxConcurrentCalls`, or a
   *   `beforeEvent` hook's veto
   */
  async dispatch(event: PluginEvent): Promise<DispatchResult> {
    const settings = this.settings;
    if (this.#inFlight >= settings.maxConcurrentCalls) {
      throw new LnError('LN_ERR_EVENT_OVERLOADED', { limit: settings.maxConcurrentCalls, scope: 'total' });
    }
    if (this.hooks.count('beforeEvent') > 0) await this.hooks.before('beforeEvent', { event }, `event "${event.id}"`);
    const { span, context } = startEventSpan(event);
    const traceId = traceIdOf(span);
    const results: EventOutcome[] = [];
    const followUps: EventOutcome[] = [];
    const run: DispatchRun = { queue: new FollowUpQueue(event, settings.maxFanOut), parent: context, dropped: [], settings };
    const inTurn = settings.stopOnError || settings.delivery === 'sequential';
    let stopped: DispatchResult['stopped'] = null;
    try {
      for (let level = run.queue.takeLevel(); level.length > 0 && !stopped; level = run.queue.takeLevel()) {
        const deliveries: Delivery[] = [];
        for (const item of level) for (const plugin of this.#plugins.matching(item.event.type)) deliveries.push({ plugin, item });
        if (deliveries.length === 0) continue;
        // Side by side: every call of the level finishes, then they are settled in delivery order
        // (a single call is awaited directly: one async layer less per event).
        const calls = inTurn
          ? null
          : deliveries.length === 1
            ? [await this.#start(deliveries[0]!, run.queue.remaining, run)]
            : await this.#sideBySide(deliveries, run);
        for (let i = 0; i < deliveries.length; i++) {
          // In turn: each call may emit what the budget has left at its start (the previous one settled).
          const call = calls ? calls[i]! : await this.#start(deliveries[i]!, run.queue.remaining, run);
          const outcome = this.#settle(deliveries[i]!, call, run);
          (outcome.depth === 0 ? results : followUps).push(outcome);
          if (!outcome.ok && settings.stopOnError) {
            stopped = { plugin: outcome.plugin, eventId: outcome.eventId, code: String(outcome.error.code) };
            break;
          }
        }
      }
    } finally {
      endSpan(span, stopped ? { ok: false, code: stopped.code } : { ok: true });
    }
    const result: { -readonly [K in keyof DispatchResult]: DispatchResult[K] } = {
      id: event.id,
      type: event.type,
      results,
      followUps,
      dropped: run.dropped,
      stopped,
    };
    if (traceId) result.traceId = traceId;
    if (this.hooks.count('afterEvent') > 0) this.hooks.after('afterEvent', { event, result });
    return result;
  }

  /**
   * One level, side by side: one lane per plugin (its deliveries in order, one call at a time, so
   * a dispatch never has more calls in flight to a plugin than the sequential delivery had), every
   * lane at once. Each call may emit what the budget had left when the level began; the follow-ups
   * are then queued in delivery order until the budget runs out (by the caller, which settles the
   * calls in delivery order once they all finished), so what is routed and what is dropped does
   * not depend on which call finished first. Timeline entries are recorded in delivery order too.
   */
  async #sideBySide(deliveries: readonly Delivery[], run: DispatchRun): Promise<FinishedCall[]> {
    const budget = run.queue.remaining;
    const lanes = new Map<string, number[]>();
    for (let i = 0; i < deliveries.length; i++) {
      const name = deliveries[i]!.plugin.name;
      const lane = lanes.get(name);
      if (lane) lane.push(i);
      else lanes.set(name, [i]);
    }
    const calls = new Array<FinishedCall>(deliveries.length);
    const lane = async (indexes: number[]): Promise<void> => {
      for (const i of indexes) calls[i] = await this.#start(deliveries[i]!, budget, run);
    };
    const running: Array<Promise<void>> = [];
    for (const indexes of lanes.values()) running.push(lane(indexes));
    await Promise.all(running);
    return calls;
  }

  /** Makes one delivery's call, with its emit limit (the depth guard, or `budget` events). */
  #start({ plugin, item }: Delivery, budget: number, run: DispatchRun): Promise<FinishedCall> {
    const reasons = this.#limitReasons(run.settings);
    const emitLimit: HostCallLimit = item.depth >= run.settings.maxDepth ? { max: 0, reason: reasons.depth } : { max: budget, reason: reasons.fanOut };
    return this.#call(plugin, item.event, { depth: item.depth, parentEventId: item.parentEventId, parent: run.parent, emitLimit });
  }

  /**
   * Calls one plugin with one event (contract B: pipelines call plugins through this). Records
   * the timeline entry (with `context.pipeline`), runs the call hooks, starts the span. Never
   * throws: an unknown name, an overload or a veto is an `{ ok: false }` outcome. Follow-up
   * events are not routed: the returned ones are in the outcome, emitted ones in its `emitted`.
   */
  async invoke(plugin: string, event: PluginEvent, context: PluginCallContext = {}): Promise<PluginCallOutcome & { emitted: JsonEnvelope[] }> {
    const found = this.#plugins.find(plugin);
    const target: RoutedPlugin = found ?? {
      name: plugin,
      version: '',
      events: [],
      priority: 0,
      call: () => Promise.reject(new LnError('LN_ERR_VERSION_STATE', { action: 'call', name: plugin, reason: 'no plugin of that name serves' })),
    };
    const { outcome, emitted } = this.#record(
      await this.#call(target, event, {
        depth: 0,
        parentEventId: null,
        ...(context.timeoutMs !== undefined ? { timeoutMs: context.timeoutMs } : {}),
        ...(context.pipeline ? { pipeline: context.pipeline } : {}),
        emitLimit: { max: this.settings.maxFanOut, reason: `at most ${this.settings.maxFanOut} events may be emitted per call` },
      }),
    );
    return { ...outcome, emitted: this.#envelopes(emitted) };
  }

  /** One delivery's finished call: its timeline entry recorded, then its follow-ups queued (or dropped by a guard). */
  #settle({ plugin, item }: Delivery, call: FinishedCall, run: DispatchRun): EventOutcome {
    const { queue, dropped } = run;
    const { maxDepth, maxFanOut } = run.settings;
    const atDepthLimit = item.depth >= maxDepth;
    const { outcome, entry, emitted } = this.#record(call);
    const followUps: PluginEvent[] = [];
    let invalid = 0;
    const take = (candidate: unknown): void => {
      try {
        followUps.push(envelopeToEvent(isPluginEvent(candidate) ? eventToEnvelope(candidate) : candidate));
      } catch {
        invalid++;
      }
    };
    for (const candidate of emitted) take(candidate);
    if (outcome.ok) for (const candidate of outcome.events) take(candidate);
    const base = { plugin: plugin.name, parentEventId: item.event.id, depth: item.depth + 1 };
    // Emits the guest attempted past its limit were refused in the worker (it saw the error); they
    // count as dropped here too, next to returned events a guard dropped.
    const refused = Math.max(0, (outcome.usage?.hostCalls.emit ?? 0) - emitted.length);
    if (invalid > 0) {
      dropped.push({ ...base, code: 'LN_ERR_EVENT_INVALID', count: invalid, message: `${invalid} follow-up event(s) of ${plugin.name} are not valid events` });
    }
    if (atDepthLimit && followUps.length + refused > 0) {
      const count = followUps.length + refused;
      const error = new LnError('LN_ERR_EVENT_DEPTH_LIMIT', { eventId: item.event.id, plugin: plugin.name, depth: item.depth, reason: `maxDepth ${maxDepth}` });
      dropped.push({ ...base, code: 'LN_ERR_EVENT_DEPTH_LIMIT', count, message: error.message });
      this.#log.warn({ component: plugin.name, eventId: item.event.id, depth: item.depth, count, code: error.code }, 'follow-up events not routed');
    } else if (followUps.length + refused > 0) {
      const accepted = queue.push(followUps, item.depth + 1, item.event.id);
      if (accepted < followUps.length + refused) {
        const count = followUps.length + refused - accepted;
        const error = new LnError('LN_ERR_EVENT_FANOUT_LIMIT', { count, plugin: plugin.name, eventId: item.event.id, limit: maxFanOut });
        dropped.push({ ...base, code: 'LN_ERR_EVENT_FANOUT_LIMIT', count, message: error.message });
        this.#log.warn({ component: plugin.name, eventId: item.event.id, count, code: error.code }, 'follow-up events not routed');
      }
    }
    // Built by assignment: a spread of the outcome plus six keys makes V8 walk map transitions per call.
    const result = Object.assign({}, outcome) as Record<string, unknown>;
    result.eventId = item.event.id;
    result.eventType = item.event.type;
    result.depth = item.depth;
    result.parentEventId = item.parentEventId;
    result.emitted = this.#envelopes(emitted);
    result.seq = entry.seq;
    return result as EventOutcome;
  }

  /** Calls a plugin under the concurrency guards, hooks and a span. Never throws. */
  async #call(plugin: RoutedPlugin, event: PluginEvent, request: CallRequest): Promise<FinishedCall> {
    const emitted: PluginEvent[] = [];
    const span = startCallSpan(plugin.name, event, request.depth, request.parent);
    const traceId = traceIdOf(span);
    const started = performance.now();
    let outcome: PluginCallOutcome;
    // Counted before any await: a burst past a limit is refused deterministically.
    const refusal = this.#admit(plugin.name);
    if (refusal) {
      outcome = { plugin: plugin.name, version: plugin.version, ok: false, error: refusal.toJSON() };
    } else {
      try {
        if (this.hooks.count('beforeCall') > 0) {
          const hookContext = { plugin: plugin.name, event, depth: request.depth, ...(request.pipeline ? { pipeline: request.pipeline } : {}) };
          await this.hooks.before('beforeCall', hookContext, `the call of ${plugin.name} with event "${event.id}"`);
        }
        // Built by assignment, optional keys only when set (no spreads on this per-call path).
        const options: { -readonly [K in keyof CallOptions]: CallOptions[K] } = {
          onNotify: (message: NotifyMessage): void => {
            if (message.topic === 'emit') emitted.push(message.payload as PluginEvent);
          },
        };
        if (request.timeoutMs !== undefined) options.timeoutMs = request.timeoutMs;
        if (request.emitLimit) options.hostCallLimits = { emit: request.emitLimit };
        outcome = await plugin.call(event, options);
      } catch (err) {
        const error = toLnError(err);
        outcome = { plugin: plugin.name, version: plugin.version, ok: false, error: error.toJSON() };
      } finally {
        this.#release(plugin.name);
      }
    }
    if (span) endSpan(span, outcome.ok ? { version: outcome.version, ok: true } : { version: outcome.version, ok: false, code: String(outcome.error.code) });
    return { plugin, event, request, outcome, emitted, elapsedMs: performance.now() - started, traceId };
  }

  /** Records a finished call in the timeline and runs the `afterCall` hooks. */
  #record(call: FinishedCall): CallResult {
    const { plugin, event, request, outcome, emitted, traceId } = call;
    const code = outcome.ok ? undefined : String(outcome.error.code);
    const usage = outcome.usage;
    const durationMs = round(outcome.durationMs ?? usage?.durationMs ?? call.elapsedMs);
    const receipt = usage ? { fuelUsed: usage.fuelUsed, peakMemoryBytes: usage.peakMemoryBytes } : null;
    // The entry's keys in their documented order (contract A); optional ones only when set.
    const input: { -readonly [K in keyof TimelineInput]: TimelineInput[K] } =
      code === undefined
        ? {
            eventId: event.id,
            eventType: event.type,
            source: event.source,
            plugin: plugin.name,
            version: outcome.version,
            status: 'ok',
            durationMs,
            usage: receipt,
            depth: request.depth,
          }
        : {
            eventId: event.id,
            eventType: event.type,
            source: event.source,
            plugin: plugin.name,
            version: outcome.version,
            status: 'error',
            code,
            durationMs,
            usage: receipt,
            depth: request.depth,
          };
    if (request.parentEventId !== null) input.parentEventId = request.parentEventId;
    if (request.pipeline) input.pipeline = request.pipeline;
    if (traceId) input.traceId = traceId;
    const entry = this.timeline.record(input);
    if (this.hooks.count('afterCall') > 0) {
      this.hooks.after('afterCall', {
        plugin: plugin.name,
        event,
        depth: request.depth,
        ...(request.pipeline ? { pipeline: request.pipeline } : {}),
        outcome,
        entry,
      });
    }
    return { outcome, entry, emitted };
  }

  /** The reasons of the emit limits under `settings` (made once per settings, not per call). */
  #limitReasons(settings: Readonly<RuntimeSettings>): { readonly depth: string; readonly fanOut: string } {
    let reasons = this.#reasons;
    if (reasons?.settings !== settings) {
      reasons = {
        settings,
        depth: `depth limit: events at depth ${settings.maxDepth} may not emit follow-ups`,
        fanOut: `fan-out limit: at most ${settings.maxFanOut} follow-up events per ingress event`,
      };
      this.#reasons = reasons;
    }
    return reasons;
  }

  /** Takes a slot for a call, or says why not. */
  #admit(name: string): LnError | undefined {
    const { maxConcurrentCalls, maxConcurrentCallsPerPlugin } = this.settings;
    if (this.#inFlight >= maxConcurrentCalls) return new LnError('LN_ERR_EVENT_OVERLOADED', { limit: maxConcurrentCalls, scope: 'total' });
    const mine = this.#inFlightByPlugin.get(name) ?? 0;
    if (mine >= maxConcurrentCallsPerPlugin) return new LnError('LN_ERR_EVENT_OVERLOADED', { limit: maxConcurrentCallsPerPlugin, scope: `"${name}"` });
    this.#inFlight++;
    this.#inFlightByPlugin.set(name, mine + 1);
    return undefined;
  }

  #release(name: string): void {
    this.#inFlight--;
    const left = (this.#inFlightByPlugin.get(name) ?? 1) - 1;
    if (left === 0) this.#inFlightByPlugin.delete(name);
    else this.#inFlightByPlugin.set(name, left);
  }

  /** Emitted events as JSON envelopes (ones that cannot be converted are left out). */
  #envelopes(events: readonly PluginEvent[]): JsonEnvelope[] {
    const out: JsonEnvelope[] = [];
    for (const e of events) {
      try {
        out.push(eventToEnvelope(e));
      } catch {
        // Not an event (counted as invalid where it would have been routed).
      }
    }
    return out;
  }
}

function isPluginEvent(value: unknown): value is PluginEvent {
  return typeof value === 'object' && value !== null && (value as { data?: unknown }).data instanceof Uint8Array;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;
