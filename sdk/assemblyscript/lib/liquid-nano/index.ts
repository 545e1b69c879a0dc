// liquid-nano: the AssemblyScript guest library for the `plugin` world of
// `liquid-nano:plugin@0.1.0` (wit/plugin.wit). A plugin exports
//
//     export function handle(event: Event): Event[]
//
// from assembly/index.ts, and returns `fail(ErrorCase.Failed, "why")` for an error; the build
// (`lnano build`, sdk/assemblyscript/toolchain.mjs) generates the canonical-ABI exports around it.
export { Event, Pair, ErrorCase, PluginError } from "./types";
export { fail, Handler } from "./handler";
export {
  Level, log,
  configGet, configGetAll,
  KvErrorCase, KvError, KvResult, kvGet, kvSet, kvDelete, kvListKeys,
  counterAdd, gaugeSet, histogramObserve,
  emit,
} from "./host";
