/**
 * Liquid Nano's public API: what `import … from 'liquid-nano'` gives an embedder, and all it
 * gives — a host (`createHost`), one component run by hand (`Engine`, `Instance`, grants, limits),
 * the types they take and answer, and the coded errors. Everything else under host/ is internal
 * and may change in any release. docs/embedding.md shows both ways in; each export is named,
 * nothing is re-exported wholesale.
 *
 * @example
 * import { createHost } from 'liquid-nano';
 * const host = createHost({ dataDir: '/var/lib/lnano', listen: '127.0.0.1:0', adminListen: '127.0.0.1:0' });
 * const { ingress } = await host.start();
 * // ... POST events to `${ingress.url}/events`, or host.events.dispatchEnvelope({...})
 * await host.close();
 *
 * @example
 * import { Engine, Instance, closedGrants, linkerSpec } from 'liquid-nano';
 * const engine = new Engine({ cacheDir: '.lnano/cache/transpile' });
 * const component = await engine.load(bytes, 'hello.wasm');
 * const instance = await Instance.start(component, { linker: linkerSpec(closedGrants('hello')) });
 */

/** The MQTT bridge as `host.mqtt` hands it out, and what `stats()` says. */
export type { MqttBridge, MqttBridgeStats } from './bridges/mqtt-bridge.js';
/** A manifest's `capabilities` section. */
export type { CapabilitySection } from './capabilities/capability-manifest.js';
/** Parses a manifest's `capabilities` section (the grants a component asks for). */
export { parseCapabilities } from './capabilities/capability-manifest.js';
/** What resolving grants needs besides the section (the component's name, the policy, ...). */
export type { GrantContext } from './capabilities/grant-resolver.js';
/** Resolves a `capabilities` section into grants under an operator policy. */
export { resolveGrants } from './capabilities/grant-resolver.js';
/** Grants, whole and per capability. */
export type { HttpGrant, InstanceGrants, KvGrant, PluginGrants, PreopenGrant, WasiGrants } from './capabilities/grants.js';
// What an instance may do: grants (deny by default) and limits.
/** Grants that allow nothing (add to them what the component may do), and the grants' defaults. */
export { closedGrants, GRANT_DEFAULTS } from './capabilities/grants.js';
/** The linker spec of a set of grants (`InstanceOptions.linker`). */
export { linkerSpec } from './capabilities/linker-spec.js';
/** A resolved operator policy, bounding every grant and limit. */
export type { OperatorPolicy } from './capabilities/policy.js';
/** Parses an operator policy (docs/policy.md), and the open one (no policy configured). */
export { OPEN_POLICY, parsePolicy } from './capabilities/policy.js';
/** The `lnano` command (bin/lnano.js). */
export { main } from './cli/main.js';
/** What one `host.reload()` changed. */
export type { ConfigChange } from './config/config-watcher.js';
/** The resolved host config (durations in ms, sizes in bytes), as `host.config` answers it. */
export type { HostConfig } from './config/host-config.js';
/** The `bridges.mqtt` section of the host config, resolved. */
export type { MqttBridgeConfig, MqttEgressRule, MqttSubscription } from './config/mqtt-bridge-schema.js';
/** A loaded component and its callable exports. */
export type { CallableExport, Component, ComponentKind } from './engine/component.js';
/** A loaded component's exports that can be called, and one of them by name. */
export { callableExports, findExport } from './engine/component.js';
/** Reads a component file with the load errors `lnano run` gives (not found, too large, ...). */
export { readComponentFile } from './engine/component-file.js';
/** The WIT shape of a component (world, functions, types), as `lnano inspect` shows it. */
export type { ComponentShape, WitFunction, WitType, WorldItem } from './engine/component-types/wit-types.js';
/** The engine's options, and one load's. */
export type { EngineOptions, LoadOptions } from './engine/engine.js';
// One component run by hand (what `lnano run` does).
/** Loads component bytes: validated, inspected, transpiled and instrumented, cached on disk by content. */
export { Engine } from './engine/engine.js';
/** The instrumentation options `LoadOptions.meter` takes. */
export type { InstrumentOptions } from './engine/instrument/instrument.js';
// Events through `host.events`.
/** An event as plugins see it, and its JSON (CloudEvents-style) form. */
export type { JsonEnvelope, PluginEvent } from './engine/plugin-event.js';
/** Converts between the JSON form of an event and `PluginEvent`. */
export { envelopeToEvent, eventToEnvelope } from './engine/plugin-event.js';
/** An error code (`LN_ERR_…`), and one entry of the registry. */
export type { ErrorCode, ErrorSpec } from './errors/codes.js';
// Errors: every one carries a stable code; branch on `code`.
/** The error code registry (message, fix, HTTP status, exit code per code) and a check for a known code. */
export { ERROR_CODES, isErrorCode } from './errors/codes.js';
/** A coded error, its details and its JSON form. */
export type { ErrorDetails, LnError, SerializedError } from './errors/ln-error.js';
/** Whether a value is a coded Liquid Nano error, and any error as one (`LN_ERR_INTERNAL_UNEXPECTED` for the unknown). */
export { isLnError, toLnError } from './errors/ln-error.js';
/** What dispatching one event did: each plugin's outcome and the follow-ups dropped. */
export type { DispatchResult, DroppedFollowUps, EventOutcome } from './events/dispatch-result.js';
/** The hooks `host.events.on(name, fn)` takes, and their contexts. */
export type { AfterCallContext, AfterEventContext, BeforeCallContext, BeforeEventContext, HookName, RuntimeHookMap } from './events/runtime-hooks.js';
/** A host, its config and options, its bound addresses, and its versions and events handles. */
export type { Host, HostAddress, HostAddresses, HostConfigInput, HostEvents, HostOptions, HostVersions } from './host.js';
// A host: the composition root `lnano serve` runs.
/** Creates a host (ingress, admin API, deployed plugins) over a data dir; `start()` it, `close()` it. */
export { createHost } from './host.js';
/** A logger, and what `createLogger` takes. */
export type { Logger, LoggerConfig } from './log/logger.js';
// Logging.
/** A pino logger as the engine and host take it, and one that logs nothing. */
export { createLogger, silentLogger } from './log/logger.js';
/** Resolved limits, and one section of them as a manifest or flags give it. */
export type { Limits, LimitsSection } from './resources/limits.js';
/** Limits (memory, deadline, fuel, concurrency, payload): the defaults, parsing a section, resolving sections in order. */
export { LIMIT_DEFAULTS, parseLimits, resolveLimits } from './resources/limits.js';
/** The engine's instrumentation (memory cap, deadline checks, fuel) for a set of limits: `engine.load(bytes, name, { meter: meterFor(limits) })`. */
export { meterFor } from './resources/metering.js';
/** Sends a guest's stdout/stderr lines to a logger. */
export { loggerOutput } from './sandbox/guest-output.js';
/** An instance's options, one call's options and its outcome (with the guest's output). */
export type { CallOptions, CallOutcome, GuestOutput, InstanceOptions } from './sandbox/instance.js';
/** One running instance of a component in the sandbox: `Instance.start`, `call`, `close`. */
export { Instance } from './sandbox/instance.js';
/** A call's usage receipt: time, fuel, memory, host calls, bytes in and out. */
export type { Usage } from './sandbox/usage.js';
/** A validated plugin manifest: name, version, events, capabilities, limits. */
export type { Manifest } from './versions/manifest.js';
// Deploying through `host.versions`.
/** Reads and validates a plugin manifest (`manifest.json`) from an object or a file. */
export { parseManifest, readManifest } from './versions/manifest.js';
/** What `host.versions.deploy` takes and answers; what a rollback answers. */
export type { DeployRequest, DeployResult, RollbackResult } from './versions/version-manager.js';
/** What `host.versions.status` / `list` answer for one plugin. */
export type { RouteStatus, VersionStatus } from './versions/version-status.js';
