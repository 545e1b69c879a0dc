/**
 * A `PluginCaller` over `VersionManager.call`: what pipelines call plugins through until the
 * event runtime (`LiquidNanoRuntime`, which also records the diagnostics timeline) replaces it.
 */
import type { PluginEvent } from '../engine/plugin-event.js';
import type { PluginCallOutcome, VersionManager } from '../versions/version-manager.js';
import type { PluginCallContext, PluginCaller } from './plugin-caller.js';

/**
 * Calls `manager` directly. The step deadline is passed as the call's `timeoutMs`; the pipeline
 * context is not recorded anywhere (there is no timeline yet).
 *
 * @throws LnError `LN_ERR_VERSION_STATE` when no version of the plugin serves (from the manager)
 */
export function versionManagerCaller(manager: Pick<VersionManager, 'call'>): PluginCaller {
  return {
    invoke(plugin: string, event: PluginEvent, context: PluginCallContext = {}): Promise<PluginCallOutcome> {
      return manager.call(plugin, event, context.timeoutMs === undefined ? {} : { timeoutMs: context.timeoutMs });
    },
  };
}
