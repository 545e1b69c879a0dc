/**
 * The plugin manifest (`manifest.json` next to a component): who the plugin is, what it handles,
 * what it is granted and its limits. Strict: unknown keys are errors, at every level.
 *
 * @example
 * { "name": "telemetry", "version": "1.2.0", "component": "./telemetry.wasm",
 *   "events": ["sensor.*"], "priority": 10, "config": { "threshold": "40" },
 *   "capabilities": { "env": { "LEVEL": "info" }, "kv": { "namespace": "telemetry" } },
 *   "limits": { "memory": "64MiB", "timeout": "500ms", "fuel": 1000000000 } }
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type CapabilitySection, capabilitiesSchema, parseCapabilities } from '../capabilities/capability-manifest.js';
import { envelopeToEvent, type PluginEvent } from '../engine/plugin-event.js';
import { isLnError, LnError } from '../errors/ln-error.js';
import { type LimitsSection, limitsSchema, parseLimits } from '../resources/limits.js';
import { parseJson, tooDeepReason } from '../support/json-depth.js';
import { RoutePattern, routePatternProblem } from '../support/route-pattern.js';
import { describeIssues, lazySchema, zod } from '../support/schema.js';

/** Plugin names: what the CLI, the admin API and metrics call it. */
export const PLUGIN_NAME = /^[a-z][a-z0-9-]{0,62}$/;
/** Semantic versions: `1.2.0`, `2.0.0-rc.1`. */
export const VERSION = /^\d{1,9}\.\d{1,9}\.\d{1,9}(?:-[0-9A-Za-z.-]{1,64})?$/;

/**
 * The zod schema of a manifest; `capabilities` and `limits` come from their own modules. Built on
 * first use (see `lazySchema`).
 */
export const manifestSchema = lazySchema(() => {
  const z = zod();
  return z.strictObject({
    $schema: z.string().optional().describe('The JSON Schema of this file, for editors (ignored by the host)'),
    name: z
      .string()
      .regex(PLUGIN_NAME, 'must be 1-63 of a-z 0-9 - starting with a letter')
      .describe("The plugin's name: 1-63 of a-z 0-9 -, starting with a letter; the CLI, the admin API and metrics call it this"),
    version: z
      .string()
      .regex(VERSION, 'must be a semantic version such as 1.2.0')
      .describe('A semantic version such as 1.2.0; a version is bound to its bytes forever'),
    description: z.string().max(1024).optional().describe('What the plugin does, for people'),
    component: z.string().min(1).max(4096).optional().describe("The component file, relative to this manifest's folder (default: component.wasm next to it)"),
    digest: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>')
      .optional()
      .describe('The expected sha256:<hex> digest of the component; a deploy of other bytes is refused'),
    events: z
      .array(
        z
          .string()
          .min(1)
          .max(256)
          .regex(/^[A-Za-z0-9._*-]+$/, 'must be an event type pattern such as sensor.* ')
          .describe('An event type, or a pattern with * such as sensor.*'),
      )
      .max(256)
      .default(['*'])
      .describe('The event types the plugin handles (default: all)'),
    routes: z
      .array(
        z
          .string()
          .superRefine((route, ctx) => {
            const problem = routePatternProblem(route);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          })
          .describe('An exact path such as /hello, or a prefix ending in /... such as /api/...'),
      )
      .max(64)
      .default([])
      .describe('The HTTP paths a wasi:http/proxy component serves on the ingress listener (docs/http-routes.md); no two components may overlap'),
    priority: z.number().int().min(-1000).max(1000).default(0).describe('Order among the plugins an event goes to: higher first, -1000 to 1000 (default 0)'),
    config: z
      .record(z.string().min(1).max(256), z.string().max(65536))
      .default({})
      .describe('Plugin config, key to string value, read by the guest through liquid-nano:plugin/config'),
    capabilities: capabilitiesSchema.default({}).describe('What the plugin is granted; nothing is granted unless named here (docs/capabilities.md)'),
    limits: limitsSchema.default({}).describe("The plugin's budgets: memory, time, fuel, concurrency, sizes (docs/limits.md)"),
    /** A CloudEvents-style event the new version must answer with `ok` before it is swapped in. */
    probe: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('A CloudEvents-style event (type, source, data) a new version must answer without error before it is swapped in'),
  });
});

/** The JSON Schema of manifests, for editors (published as docs/manifest.schema.json). */
export function manifestJsonSchema(): Record<string, unknown> {
  return {
    ...zod().toJSONSchema(manifestSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://liquid-nano.dev/schemas/manifest.schema.json',
    title: 'Liquid Nano plugin manifest',
  };
}

/** A validated manifest. */
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  /** The component file, resolved against the manifest's folder. */
  readonly component?: string;
  readonly digest?: string;
  readonly events: readonly string[];
  /** The HTTP routes of a `wasi:http/proxy` component (empty for a plugin). */
  readonly routes: readonly string[];
  readonly priority: number;
  readonly config: Readonly<Record<string, string>>;
  readonly capabilities: CapabilitySection;
  readonly limits: LimitsSection;
  /** The health probe: an event a new version must handle without error before the swap. */
  readonly probe?: PluginEvent;
  /** The manifest's folder: relative paths in it start here. */
  readonly baseDir: string;
  /** The manifest's path (or a name for one that came from elsewhere), for errors. */
  readonly source: string;
}

/**
 * Validates a manifest value.
 *
 * @param source - the manifest's file name, for errors; `baseDir` resolves its relative paths
 * @throws LnError `LN_ERR_MANIFEST_INVALID` naming each bad key
 */
export function parseManifest(value: unknown, source: string, baseDir: string): Manifest {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new LnError('LN_ERR_MANIFEST_INVALID', { file: source, reason: 'a manifest is a JSON object' });
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) throw new LnError('LN_ERR_MANIFEST_INVALID', { file: source, reason: describeIssues(parsed.error) });
  const m = parsed.data;
  return {
    name: m.name,
    version: m.version,
    description: m.description,
    component: m.component === undefined ? undefined : resolve(baseDir, m.component),
    digest: m.digest,
    events: m.events,
    routes: parseRoutes(m.routes, source),
    priority: m.priority,
    config: m.config,
    capabilities: parseCapabilities(m.capabilities, source),
    limits: parseLimits(m.limits, source),
    ...(m.probe ? { probe: parseProbe(m.probe, source) } : {}),
    baseDir,
    source,
  };
}

/** The routes, each valid (the schema checked that) and none overlapping another of the same manifest. */
function parseRoutes(routes: readonly string[], source: string): string[] {
  const parsed = routes.map((r) => new RoutePattern(r));
  for (const [i, a] of parsed.entries()) {
    const clash = parsed.slice(i + 1).find((b) => a.overlaps(b));
    if (clash) throw new LnError('LN_ERR_MANIFEST_INVALID', { file: source, reason: `routes: "${a.text}" and "${clash.text}" overlap` });
  }
  return [...routes];
}

function parseProbe(value: unknown, source: string): PluginEvent {
  try {
    return envelopeToEvent(value);
  } catch (err) {
    const reason = isLnError(err) ? String(err.details.reason ?? err.message) : String(err);
    throw new LnError('LN_ERR_MANIFEST_INVALID', { file: source, reason: `probe: ${reason}` });
  }
}

/** The largest manifest file read. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * Reads and validates a manifest file.
 *
 * @throws LnError `LN_ERR_MANIFEST_INVALID` for a missing, oversized, non-JSON or invalid file
 */
export async function readManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_MANIFEST_BYTES) throw new Error(`it is ${bytes.length} bytes, over ${MAX_MANIFEST_BYTES}`);
    text = bytes.toString('utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (err as Error).message;
    throw new LnError('LN_ERR_MANIFEST_INVALID', { file: path, reason }, { cause: err });
  }
  const value = parseJson(
    text,
    (why) => new LnError('LN_ERR_MANIFEST_INVALID', { file: path, reason: why.kind === 'tooDeep' ? tooDeepReason(why.limit) : `not JSON: ${why.message}` }),
  );
  return parseManifest(value, path, dirname(resolve(path)));
}
