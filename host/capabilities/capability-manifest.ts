/**
 * The `capabilities` section of a plugin manifest — the one written form of grants. The CLI's
 * grant flags (`--env`, `--dir`, `--allow-http`, `--kv`) are turned into this same section, so
 * flags and manifests are validated and bounded by the operator policy in exactly one way.
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
import { parseAuthorityPattern } from './http/authority.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What a kv namespace may be called. */
export const KV_NAMESPACE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Builds the section's schema (on first use: see `lazySchema`). */
function buildCapabilitiesSchema() {
  const z = zod();
  const guestPath = z.string().min(1).max(4096)
    .refine((p) => p.startsWith('/'), 'must be an absolute guest path such as /data')
    .refine((p) => !p.split('/').some((part) => part === '..' || part === '.'), 'must not contain . or .. segments')
    .refine((p) => !p.includes('\0'), 'must not contain NUL');

  const mount = z.strictObject({
    host: z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'must not contain NUL'),
    guest: guestPath,
    mode: z.enum(['ro', 'rw']).default('ro'),
  });

  const authority = z.string().min(1).max(300).superRefine((text, ctx) => {
    try {
      parseAuthorityPattern(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });
  return z.strictObject({
    env: z.record(z.string().regex(ENV_NAME, 'is not a valid variable name').max(256), z.string().max(65536)).optional(),
    fs: z.array(mount).max(64).optional(),
    /** The guest's initial working directory (`wasi:cli/environment#initial-cwd`), a guest path. */
    cwd: guestPath.optional(),
    http: z.strictObject({
      allow: z.array(authority).min(1).max(256),
      maxResponse: sizeSchema.optional(),
      timeout: durationSchema.optional(),
      maxRequestsPerCall: z.number().int().positive().max(10_000).optional(),
    }).optional(),
    kv: z.strictObject({
      namespace: z.string().regex(KV_NAMESPACE, 'must be 1-64 of a-z 0-9 . _ - (starting with a letter or digit)').optional(),
      maxKeys: z.number().int().positive().max(100_000_000).optional(),
      maxKeySize: sizeSchema.optional(),
      maxValueSize: sizeSchema.optional(),
      maxTotal: sizeSchema.optional(),
    }).optional(),
  });
}

/** The zod schema of the section. Unknown keys are refused at every level. Built on first use. */
export const capabilitiesSchema = lazySchema(buildCapabilitiesSchema);

/** A validated `capabilities` section. */
export type CapabilitySection = z.infer<typeof capabilitiesSchema>;

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
  const guests = (parsed.data.fs ?? []).map((m) => m.guest.replace(/\/+$/, '') || '/');
  const dup = guests.find((g, i) => guests.indexOf(g) !== i);
  if (dup) throw new LnError('LN_ERR_MANIFEST_INVALID', { file, reason: `capabilities.fs: two mounts at guest path ${dup}` });
  return parsed.data;
}

/** Merges two sections; `extra` (e.g. CLI flags) adds to and overrides `base` (e.g. a manifest). */
export function mergeCapabilities(base: CapabilitySection, extra: CapabilitySection): CapabilitySection {
  const env = base.env || extra.env ? { ...base.env, ...extra.env } : undefined;
  const fs = base.fs || extra.fs ? [...(base.fs ?? []).filter((m) => !extra.fs?.some((e) => e.guest === m.guest)), ...(extra.fs ?? [])] : undefined;
  const http = base.http && extra.http
    ? { ...base.http, ...extra.http, allow: [...new Set([...base.http.allow, ...extra.http.allow])] }
    : (extra.http ?? base.http);
  const kv = base.kv || extra.kv ? { ...base.kv, ...extra.kv } : undefined;
  const cwd = extra.cwd ?? base.cwd;
  return {
    ...(env ? { env } : {}), ...(fs ? { fs } : {}), ...(http ? { http } : {}), ...(kv ? { kv } : {}), ...(cwd ? { cwd } : {}),
  };
}
