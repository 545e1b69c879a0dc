/**
 * The admin API's cluster route: `GET /v1/cluster/hosts`, what `lnano ls --hosts` prints — each
 * host of the cluster, what it serves against the desired state, and whether it has converged.
 * A single host answers `{ "cluster": null, … }` with no hosts. Loads nothing of NATS itself:
 * the cluster is given (or not) by the composition root.
 */
import type { AdminRoute } from '../server/admin-server.js';
import { defineRoute } from '../server/admin-server.js';
import type { ClusterView } from './membership.js';

/** What a single host answers. */
export const NOT_A_CLUSTER = Object.freeze({ cluster: null, self: null, connected: false, desired: [], hosts: [] });

/** The cluster routes, over `view` (null: this host is not in a cluster). */
export function clusterRoutes(view: (() => Promise<ClusterView>) | null): AdminRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/cluster/hosts',
      handler: async () => ({ body: view ? await view() : NOT_A_CLUSTER }),
    }),
  ];
}
