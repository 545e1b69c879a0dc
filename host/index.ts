/**
 * Liquid Nano's public API for embedders. Each export is named; nothing is re-exported wholesale.
 *
 * @example
 * import { Engine, Instance, closedGrants, linkerSpec } from 'liquid-nano';
 * const engine = new Engine({ cacheDir: '.lnano/cache/transpile' });
 * const component = await engine.load(bytes, 'hello.wasm');
 * const instance = await Instance.start(component, { linker: linkerSpec(closedGrants('hello')) });
 */
export { ERROR_CODES, isErrorCode } from './errors/codes.js';
export type { ErrorCode, ErrorSpec } from './errors/codes.js';
export { LnError, isLnError, toLnError } from './errors/ln-error.js';
export type { ErrorDetails, SerializedError } from './errors/ln-error.js';
export { createLogger, silentLogger } from './log/logger.js';
export type { Logger, LoggerConfig } from './log/logger.js';
export { Engine, ENGINE_DEFAULTS } from './engine/engine.js';
export type { EngineOptions } from './engine/engine.js';
export { readComponentFile } from './engine/component-file.js';
export { callableExports, findExport } from './engine/component.js';
export type { CallableExport, Component, ComponentKind } from './engine/component.js';
export type { ComponentShape, WitFunction, WitType, WorldItem } from './engine/wit-types.js';
export { Instance, INSTANCE_DEFAULTS } from './sandbox/instance.js';
export type { CallOptions, CallOutcome, GuestOutput, InstanceOptions } from './sandbox/instance.js';
export { Supervisor } from './sandbox/supervisor.js';
export { loggerOutput } from './sandbox/guest-output.js';
export { closedGrants, GRANT_DEFAULTS } from './capabilities/grants.js';
export type { HttpGrant, InstanceGrants, KvGrant, PluginGrants, PreopenGrant, WasiGrants } from './capabilities/grants.js';
export { linkerSpec } from './capabilities/linker-spec.js';
export { CAPABILITIES, capabilityOf } from './capabilities/catalog.js';
export { capabilitiesSchema, parseCapabilities, mergeCapabilities } from './capabilities/capability-manifest.js';
export type { CapabilitySection } from './capabilities/capability-manifest.js';
export { resolveGrants } from './capabilities/grant-resolver.js';
export type { GrantContext } from './capabilities/grant-resolver.js';
export { OPEN_POLICY, parsePolicy } from './capabilities/policy.js';
export type { OperatorPolicy } from './capabilities/policy.js';
export { checkLink, linkProblems } from './capabilities/link-check.js';
export { diffCapabilities, formatDiff } from './capabilities/grant-diff.js';
export type { CapabilityDiff, CapabilityChange } from './capabilities/grant-diff.js';
export { LIMIT_DEFAULTS, parseLimits, resolveLimits } from './resources/limits.js';
export type { Limits, LimitsSection } from './resources/limits.js';
export { InstancePool } from './resources/instance-pool.js';
export type { PoolOptions, PoolStats } from './resources/instance-pool.js';
export { parseManifest, readManifest } from './versions/manifest.js';
export type { Manifest } from './versions/manifest.js';
export { ArtifactStore, digestOf } from './versions/artifact-store.js';
export { RegistryDatabase, REGISTRY_FILE } from './versions/registry-database.js';
export { Registry } from './versions/registry.js';
export { AuditTrail, AUDIT_ACTIONS } from './versions/audit-trail.js';
export type { AuditAction, AuditEntry, AuditEntryInput, AuditVerification } from './versions/audit-trail.js';
export { STRATEGIES, DEPLOY_STEPS, DEPLOY_STATUSES } from './versions/deployment.js';
export { VersionManager, VERSION_MANAGER_DEFAULTS, HEALTH_ACTOR } from './versions/version-manager.js';
export type { VersionManagerOptions, DeployRequest, DeployResult, RollbackResult, RestoreReport, PluginCallOutcome, StepReport } from './versions/version-manager.js';
export type { RouteStatus, VersionStatus } from './versions/version-status.js';
export type { HandoffResult } from './versions/state-handoff.js';
export { envelopeToEvent, eventToEnvelope } from './engine/plugin-event.js';
export type { PluginEvent, JsonEnvelope } from './engine/plugin-event.js';
export type { Deployment, DeployRecord, DeployStatus, DeployStep, Strategy, VersionRecord, RecoveryReport } from './versions/deployment.js';
export { main } from './cli/main.js';
