/**
 * How pipelines (and other orchestrators) call one plugin: through the event runtime, which
 * records the diagnostics timeline entry, runs the host hooks and starts the span.
 * `LiquidNanoRuntime` implements it.
 */
import type { PluginEvent } from '../engine/plugin-event.js';
import type { PluginCallOutcome } from '../versions/version-manager.js';

export interface PluginCallContext {
  /** Wall-clock deadline of this one call, ms (bounded by the plugin's own limits). */
  readonly timeoutMs?: number;
  /** Set when the call is a pipeline step: recorded in the timeline entry. */
  readonly pipeline?: { readonly name: string; readonly runId: string; readonly step: string };
}

export interface PluginCaller {
  invoke(plugin: string, event: PluginEvent, context?: PluginCallContext): Promise<PluginCallOutcome>;
}
