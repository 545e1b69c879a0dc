/**
 * How pipelines (and anything else above the version manager) call one plugin: contract B
 * between the `runtime` and `pipelines` branches. `LiquidNanoRuntime` implements it (recording
 * the diagnostics timeline, hooks and spans); `versionManagerCaller` is the plain adapter over
 * `VersionManager.call` used until then.
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
