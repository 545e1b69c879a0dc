/**
 * Host hooks for embedders: a closed list of names (`HOOK_NAMES`), each a list of functions.
 *
 * - `beforeEvent` runs before an ingress event is routed; `beforeCall` before each plugin call
 *   (ingress, follow-up and `invoke`). They run in registration order and are awaited; a throw
 *   vetoes: an `LnError` keeps its code, anything else becomes `LN_ERR_EVENT_VETOED`.
 * - `afterEvent` (with the dispatch result) and `afterCall` (with the outcome and the timeline
 *   entry) run after the fact and are not awaited; a throw or rejection is logged, never
 *   propagated.
 */

import type { PluginEvent } from '../engine/plugin-event.js';
import { isLnError, LnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import type { TimelineEntry } from '../observability/diagnostics-timeline.js';
import type { PluginCallOutcome } from '../versions/version-manager.js';
import type { DispatchResult } from './dispatch-result.js';

/** Every hook name, in the order a call meets them. */
export const HOOK_NAMES = Object.freeze(['beforeEvent', 'beforeCall', 'afterCall', 'afterEvent'] as const);
export type HookName = (typeof HOOK_NAMES)[number];

/** What `beforeEvent` sees: the ingress event. */
export interface BeforeEventContext {
  readonly event: PluginEvent;
}
/** What `afterEvent` sees: the ingress event and everything its routing did. */
export interface AfterEventContext {
  readonly event: PluginEvent;
  readonly result: DispatchResult;
}
/** What `beforeCall` sees: the plugin about to be called with the event. */
export interface BeforeCallContext {
  readonly plugin: string;
  readonly event: PluginEvent;
  readonly depth: number;
  readonly pipeline?: { readonly name: string; readonly runId: string; readonly step: string };
}
/** What `afterCall` sees: the call's outcome and its timeline entry. */
export interface AfterCallContext extends BeforeCallContext {
  readonly outcome: PluginCallOutcome;
  readonly entry: TimelineEntry;
}

/** The function type of each hook. */
export interface RuntimeHookMap {
  beforeEvent: (context: BeforeEventContext) => void | Promise<void>;
  beforeCall: (context: BeforeCallContext) => void | Promise<void>;
  afterCall: (context: AfterCallContext) => void | Promise<void>;
  afterEvent: (context: AfterEventContext) => void | Promise<void>;
}

export class RuntimeHooks {
  readonly #hooks = new Map<HookName, Array<(context: never) => void | Promise<void>>>(HOOK_NAMES.map((n) => [n, []]));
  readonly #log: Logger;

  constructor(logger: Logger) {
    this.#log = logger;
  }

  /**
   * Registers `fn` under `name`; returns the function that removes it.
   *
   * @throws LnError `LN_ERR_EVENT_HOOK_INVALID` for a name outside `HOOK_NAMES` or a non-function
   */
  on<K extends HookName>(name: K, fn: RuntimeHookMap[K]): () => void {
    const list = typeof name === 'string' && (HOOK_NAMES as readonly string[]).includes(name) ? this.#hooks.get(name) : undefined;
    if (!list) throw new LnError('LN_ERR_EVENT_HOOK_INVALID', { hook: String(name).slice(0, 64), reason: `it is not a hook name (${HOOK_NAMES.join(', ')})` });
    if (typeof fn !== 'function')
      throw new LnError('LN_ERR_EVENT_HOOK_INVALID', { hook: name, reason: `it must be a function, got ${fn === null ? 'null' : typeof fn}` });
    const entry = fn as (context: never) => void | Promise<void>;
    list.push(entry);
    return () => {
      const at = list.indexOf(entry);
      if (at !== -1) list.splice(at, 1);
    };
  }

  /** How many functions are registered under `name`. */
  count(name: HookName): number {
    return this.#hooks.get(name)?.length ?? 0;
  }

  /**
   * Runs the `before*` hooks in order.
   *
   * @throws LnError the veto: the hook's own `LnError`, else `LN_ERR_EVENT_VETOED` naming `subject`
   */
  async before<K extends 'beforeEvent' | 'beforeCall'>(name: K, context: Parameters<RuntimeHookMap[K]>[0], subject: string): Promise<void> {
    for (const fn of [...this.#hooks.get(name)!]) {
      try {
        await (fn as RuntimeHookMap[K])(context as never);
      } catch (err) {
        if (isLnError(err)) throw err;
        throw new LnError('LN_ERR_EVENT_VETOED', { hook: name, subject, reason: err instanceof Error ? err.message : String(err) }, { cause: err });
      }
    }
  }

  /** Runs the `after*` hooks without waiting for them; failures are logged. */
  after<K extends 'afterEvent' | 'afterCall'>(name: K, context: Parameters<RuntimeHookMap[K]>[0]): void {
    for (const fn of this.#hooks.get(name)!) {
      const failed = (err: unknown): void => this.#log.warn({ hook: name, err }, 'runtime hook failed');
      try {
        const result = (fn as RuntimeHookMap[K])(context as never);
        if (result && typeof (result as Promise<void>).then === 'function') (result as Promise<void>).then(undefined, failed);
      } catch (err) {
        failed(err);
      }
    }
  }
}
