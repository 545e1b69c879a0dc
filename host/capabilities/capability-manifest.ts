/**
 * The `capabilities` section of a plugin manifest — the one written form of grants: a strict
 * object of every registered capability's keys (see `registry.ts`). The CLI's grant flags
 * (`--env`, `--dir`, `--allow-http`, `--kv`, `--cwd`) are turned into this same section, so flags
 * and manifests are validated and bounded by the operator policy in exactly one way.
 *
 * @example
 * { "env": { "LEVEL": "info" },
 *   "fs": [{ "host": "./data", "guest": "/data", "mode": "ro" }],
 *   "http": { "allow": ["api.example.com", "*.example.org:8443"], "maxResponse": "1MiB", "timeout": "5s" },
 *   "kv": { "namespace": "telemetry", "maxKeys": 1000, "maxTotal": "16MiB" } }
 */
import type { z } from 'zod';
import { LnError } from '../errors/ln-error.js';
import { describeIssues, durationSchema, isEmptySection, lazySchema, sizeSchema, zod } from '../support/schema.js';
import type { SchemaKit } from './capability.js';
import { REGISTERED, type RegisteredSection } from './registry.js';

export { KV_NAMESPACE } from './kv/kv-namespace.js';

/** What the capabilities build their schemas with. */
export function schemaKit(): SchemaKit {
  return { z: zod(), size: sizeSchema, duration: durationSchema };
}

/** The zod schema of the section. Unknown keys are refused at every level. Built on first use. */
export const capabilitiesSchema = lazySchema((): z.ZodType<CapabilitySection> => {
  const kit = schemaKit();
  return kit.z.strictObject(
    Object.assign({}, ...REGISTERED.map((c) => c.manifest?.shape(kit) ?? {})) as Record<string, z.ZodType>,
  ) as unknown as z.ZodType<CapabilitySection>;
});

/** A validated `capabilities` section. */
export type CapabilitySection = { readonly [K in keyof RegisteredSection]: RegisteredSection[K] };

/**
 * Validates a `capabilities` section.
 *
 * @param file - the manifest's name, for the error
 * @throws LnError `LN_ERR_MANIFEST_INVALID` naming each bad key
 */
export function parseCapabilities(value: unknown, file: string): CapabilitySection {
  // An empty section (no manifest, no grant flags) is `{}` without zod being loaded.
  if (isEmptySection(value)) return {};
  const parsed = capabilitiesSchema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new LnError('LN_ERR_MANIFEST_INVALID', { file, reason: describeIssues(parsed.error, 'capabilities') });
  }
  for (const capability of REGISTERED) {
    const reason = capability.manifest?.check?.(parsed.data) ?? null;
    if (reason !== null) throw new LnError('LN_ERR_MANIFEST_INVALID', { file, reason });
  }
  return parsed.data;
}

/** Merges two sections; `extra` (e.g. CLI flags) adds to and overrides `base` (e.g. a manifest). */
export function mergeCapabilities(base: CapabilitySection, extra: CapabilitySection): CapabilitySection {
  return Object.assign({}, ...REGISTERED.map((c) => c.manifest?.merge(base, extra) ?? {})) as CapabilitySection;
}

/**
 * The section with every host path made absolute against `baseDir` (relative `fs` hosts start at
 * the manifest's folder, or where a command runs); a section naming no host paths comes back as is.
 */
export function absoluteCapabilities(section: CapabilitySection, baseDir: string): CapabilitySection {
  const parts = REGISTERED.flatMap((c) => (c.manifest?.absolute ? [c.manifest.absolute(section, baseDir)] : []));
  return parts.some((p) => Object.keys(p).length > 0) ? (Object.assign({}, section, ...parts) as CapabilitySection) : section;
}
