/**
 * Admin routes the web console needs besides the ones every client uses (see docs/console.md):
 *
 * - `GET /v1/grants`: the grants and limits of every serving version (active and canary), as
 *   their manifests say, so the components view shows them without one request per name.
 * - `POST /v1/components/:name/capability-diff`: what a deploy, rollback, promote or abort would
 *   change in the grants, for the confirmation dialog, computed as a deploy computes it.
 *
 * Both read only; they need the token like every `/v1` route.
 */
import { z } from 'zod';
import type { CapabilitySection } from '../capabilities/capability-manifest.js';
import { type CapabilityDiff, diffCapabilities } from '../capabilities/grant-diff.js';
import { LnError } from '../errors/ln-error.js';
import { absoluteCapabilities, manifestOf } from '../versions/deploy-pipeline.js';
import { parseManifest } from '../versions/manifest.js';
import type { VersionManager } from '../versions/version-manager.js';
import { type AdminRoute, defineRoute } from './admin-server.js';
import type { AdminAnswers } from './api-types.js';

const diffSchema = z
  .strictObject({
    /** The version compared from; default: the active one (none before the first deploy). */
    from: z.string().min(1).max(80).optional(),
    /** A retained version compared to … */
    to: z.string().min(1).max(80).optional(),
    /** … or a manifest about to be deployed. */
    manifest: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((b) => (b.to === undefined) !== (b.manifest === undefined), { message: 'name exactly one of "to" (a retained version) or "manifest"', path: ['to'] });

/** One serving version's grants. */
export interface ServingGrants {
  readonly name: string;
  readonly version: string;
  readonly role: 'active' | 'candidate';
  readonly capabilities: CapabilitySection;
  readonly limits: Readonly<Record<string, unknown>>;
}

/** The console's routes, bound to `manager`; `baseDir` resolves relative paths as deploys do. */
export function consoleRoutes(manager: VersionManager, options: { readonly baseDir: string }): AdminRoute[] {
  const retained = (name: string, version: string): CapabilitySection => {
    const record = manager.registry.version(name, version);
    if (!record) throw new LnError('LN_ERR_VERSION_NOT_FOUND', { name, version });
    return absoluteCapabilities(manifestOf(record, options.baseDir));
  };
  return [
    {
      method: 'GET',
      path: '/v1/grants',
      handler: () => {
        const grants: ServingGrants[] = [];
        for (const d of manager.registry.list()) {
          const serving: Array<[string | null, ServingGrants['role']]> = [
            [d.active, 'active'],
            [d.inProgress && d.deploy.version !== d.active ? d.deploy.version : null, 'candidate'],
          ];
          for (const [version, role] of serving) {
            const record = version ? manager.registry.version(d.name, version) : undefined;
            if (!record) continue;
            const manifest = manifestOf(record, options.baseDir);
            grants.push({ name: d.name, version: record.version, role, capabilities: absoluteCapabilities(manifest), limits: manifest.limits });
          }
        }
        return { body: { grants } satisfies AdminAnswers['GET /v1/grants'] };
      },
    },
    defineRoute({
      method: 'POST',
      path: '/v1/components/:name/capability-diff',
      body: diffSchema,
      handler: (req) => {
        const name = req.params.name!;
        const body = req.body;
        const deployment = manager.registry.get(name);
        const from = body.from ?? deployment?.active ?? null;
        let to: string;
        let target: CapabilitySection;
        if (body.manifest) {
          const manifest = parseManifest(body.manifest, 'the diff request', options.baseDir);
          if (manifest.name !== name) throw new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason: `the manifest is for "${manifest.name}", not "${name}"` });
          to = manifest.version;
          target = absoluteCapabilities(manifest);
        } else {
          to = body.to!;
          target = retained(name, to);
        }
        const diff: CapabilityDiff = diffCapabilities(from ? retained(name, from) : undefined, target, manager.kvOwner(name, target));
        return { body: { name, from, to, diff, needsApproval: diff.added.length > 0 } satisfies AdminAnswers['POST /v1/components/:name/capability-diff'] };
      },
    }),
  ];
}
