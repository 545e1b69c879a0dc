/**
 * The admin API's routes (`/v1/...`), bound to the version manager. See docs/admin-api.md.
 *
 * Deploying is two requests: `PUT /v1/artifacts` uploads the component bytes (content-addressed,
 * idempotent), then `POST /v1/deployments` deploys a manifest naming that digest. With
 * `Accept: application/x-ndjson` the deploy answers one JSON line per finished step, then the
 * result (or the coded error) as the last line.
 */
import { z } from 'zod';
import { envelopeToEvent } from '../engine/plugin-event.js';
import { LnError, toLnError } from '../errors/ln-error.js';
import type { PluginCaller } from '../events/plugin-caller.js';
import type { LogRing } from '../log/log-ring.js';
import { PROMETHEUS_TEXT } from '../observability/metrics-registry.js';
import { STRATEGIES } from '../versions/deployment.js';
import { parseManifest } from '../versions/manifest.js';
import type { VersionManager } from '../versions/version-manager.js';
import { type AdminRequest, type AdminRoute, defineRoute } from './admin-server.js';
import type { AdminAnswers } from './api-types.js';

const deploySchema = z.strictObject({
  manifest: z.record(z.string(), z.unknown()),
  digest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>')
    .optional(),
  strategy: z.enum(STRATEGIES).optional(),
  canaryWeight: z.number().int().min(0).max(100).optional(),
  approveCapabilities: z.boolean().optional(),
  reason: z.string().max(1024).optional(),
});

const reasonSchema = z.strictObject({ reason: z.string().max(1024).optional() });
const rollbackSchema = z.strictObject({ to: z.string().min(1).max(80).optional(), reason: z.string().max(1024).optional() });
const canarySchema = z.strictObject({ weight: z.number().int().min(0).max(100), reason: z.string().max(1024).optional() });

/** What the routes need besides the manager. */
export interface AdminRouteOptions {
  /** Where relative paths in deployed manifests (fs mounts) resolve: the host's working directory. */
  readonly baseDir: string;
  /** The Prometheus text for `GET /metrics`. */
  readonly metrics: () => Promise<string> | string;
  /** Recent log lines per component, for `GET /v1/components/:name/logs`. */
  readonly logs: LogRing;
  /**
   * How `POST /v1/components/:name/invoke` calls the plugin: the event runtime, so the call is in
   * the diagnostics timeline, hooks and spans like any other; default: the version manager directly.
   */
  readonly caller?: PluginCaller;
  /** Recent traces, newest first, for `GET /v1/traces?limit=n` (contract D); none: an empty list. */
  readonly traces?: (limit: number) => unknown[];
  /** The effective host config with each key's source (secrets hidden), for `GET /v1/config`. */
  readonly config?: () => unknown;
}

/** A `GET` query number, bounded. */
function queryInt(req: AdminRequest, key: string, min: number, max: number): number | undefined {
  const text = req.query.get(key);
  if (text === null) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason: `?${key} must be a whole number from ${min} to ${max}` });
  return n;
}

/** Writes NDJSON lines as a deploy makes progress; the last line is the result or the error. */
function ndjson(req: AdminRequest): { line(value: unknown): void; end(value: unknown): void } {
  const res = req.stream();
  res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
  return {
    line: (value) => void res.write(`${JSON.stringify(value)}\n`),
    end: (value) => res.end(`${JSON.stringify(value)}\n`),
  };
}

/** Every admin route, bound to `manager`. */
export function adminRoutes(manager: VersionManager, options: AdminRouteOptions): AdminRoute[] {
  /** A name the registry never saw is a 404, before anything else is looked at. */
  const exists = (name: string): void => {
    if (!manager.registry.get(name)) throw new LnError('LN_ERR_VERSION_NOT_FOUND', { name, version: '(any)' });
  };
  return [
    {
      method: 'GET',
      path: '/v1/health',
      handler: () => ({ body: { status: 'ok', components: manager.list().length } satisfies AdminAnswers['GET /v1/health'] }),
    },
    {
      method: 'PUT',
      path: '/v1/artifacts',
      body: 'bytes',
      handler: async (req) => {
        const stored = await manager.storeArtifact(req.bytes());
        return { status: stored.created ? 201 : 200, body: stored satisfies AdminAnswers['PUT /v1/artifacts'] };
      },
    },
    defineRoute({
      method: 'POST',
      path: '/v1/deployments',
      body: deploySchema,
      handler: async (req) => {
        const body = req.body;
        const manifest = parseManifest(body.manifest, 'the deploy request', options.baseDir);
        const digest = body.digest ?? manifest.digest;
        if (!digest) throw new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason: 'name the artifact: "digest" (from PUT /v1/artifacts) or manifest.digest' });
        const request = {
          manifest,
          digest,
          actor: req.actor,
          ...(manifest.probe ? { probe: manifest.probe } : {}),
          ...(body.strategy ? { strategy: body.strategy } : {}),
          ...(body.canaryWeight !== undefined ? { canaryWeight: body.canaryWeight } : {}),
          ...(body.approveCapabilities !== undefined ? { approveCapabilities: body.approveCapabilities } : {}),
          ...(body.reason ? { reason: body.reason } : {}),
        };
        if (!/application\/x-ndjson/.test(String(req.raw.headers.accept ?? '')))
          return { body: (await manager.deploy(request)) satisfies AdminAnswers['POST /v1/deployments'] };
        const out = ndjson(req);
        try {
          const result = await manager.deploy({ ...request, onProgress: (step, detail) => out.line({ step, detail }) });
          out.end(result);
        } catch (err) {
          const error = toLnError(err);
          out.end(
            error.spec.expose ? { ...error.toJSON(), requestId: req.requestId } : { code: error.code, message: 'Internal error', requestId: req.requestId },
          );
        }
      },
    }),
    { method: 'GET', path: '/v1/components', handler: () => ({ body: { components: manager.list() } satisfies AdminAnswers['GET /v1/components'] }) },
    {
      method: 'GET',
      path: '/v1/components/:name',
      handler: (req) => ({ body: manager.status(req.params.name!) satisfies AdminAnswers['GET /v1/components/:name'] }),
    },
    {
      method: 'GET',
      path: '/v1/components/:name/history',
      handler: (req) => {
        const limit = queryInt(req, 'limit', 1, 10_000);
        return { body: manager.history(req.params.name!, limit === undefined ? {} : { limit }) satisfies AdminAnswers['GET /v1/components/:name/history'] };
      },
    },
    defineRoute({
      method: 'POST',
      path: '/v1/components/:name/rollback',
      body: rollbackSchema,
      handler: async (req) => {
        const body = req.body;
        return { body: await manager.rollback(req.params.name!, { actor: req.actor, ...body }) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/components/:name/promote',
      body: reasonSchema,
      handler: async (req) => {
        const body = req.body;
        return { body: await manager.promote(req.params.name!, req.actor, body.reason) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/components/:name/abort',
      body: reasonSchema,
      handler: async (req) => {
        const body = req.body;
        return { body: await manager.abort(req.params.name!, req.actor, body.reason) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/components/:name/canary',
      body: canarySchema,
      handler: async (req) => {
        const body = req.body;
        return { body: await manager.setCanaryWeight(req.params.name!, body.weight, req.actor, body.reason) };
      },
    }),
    {
      method: 'POST',
      path: '/v1/components/:name/invoke',
      handler: async (req) => {
        exists(req.params.name!);
        const event = envelopeToEvent(req.json(z.record(z.string(), z.unknown())));
        return { body: await (options.caller ? options.caller.invoke(req.params.name!, event) : manager.call(req.params.name!, event)) };
      },
    },
    {
      method: 'GET',
      path: '/v1/components/:name/logs',
      handler: (req) => {
        const name = req.params.name!;
        const lines = queryInt(req, 'lines', 1, 10_000) ?? 100;
        const follow = req.query.get('follow') === '1' || req.query.get('follow') === 'true';
        const recent = options.logs.recent(name, lines);
        if (!follow) return { body: { lines: recent } satisfies AdminAnswers['GET /v1/components/:name/logs'] };
        // NDJSON, one log line each, until the client goes away.
        const res = req.stream();
        res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
        for (const entry of recent) res.write(`${JSON.stringify(entry)}\n`);
        const stop = options.logs.follow(name, (entry) => void res.write(`${JSON.stringify(entry)}\n`));
        const heartbeat = setInterval(() => res.write('\n'), 15_000);
        req.raw.on('close', () => {
          stop();
          clearInterval(heartbeat);
        });
      },
    },
    {
      method: 'GET',
      path: '/v1/audit',
      handler: (req) => {
        const name = req.query.get('name') ?? undefined;
        const after = queryInt(req, 'after', 0, Number.MAX_SAFE_INTEGER);
        const limit = queryInt(req, 'limit', 1, 10_000);
        const verify = req.query.get('verify') === '1' || req.query.get('verify') === 'true';
        return {
          body: manager.audit({
            ...(name ? { name } : {}),
            ...(after !== undefined ? { after } : {}),
            ...(limit !== undefined ? { limit } : {}),
            verify,
          }) satisfies AdminAnswers['GET /v1/audit'],
        };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: async () => {
        return { text: await options.metrics(), contentType: PROMETHEUS_TEXT };
      },
    },
    { method: 'GET', path: '/v1/traces', handler: (req) => ({ body: { traces: options.traces?.(queryInt(req, 'limit', 1, 1000) ?? 20) ?? [] } }) },
    { method: 'GET', path: '/v1/config', handler: () => ({ body: options.config?.() ?? { file: null, keys: [] } }) },
  ];
}
