/**
 * `lnano ls --hosts`: which host of the cluster serves which version, against the desired state,
 * and whether each has converged (`GET /v1/cluster/hosts` of the host asked).
 */
import type { ClusterView } from '../../cluster/membership.js';
import type { AdminClient } from '../admin-client.js';
import type { CliIo } from '../cli-io.js';
import { formatMs, renderTable } from '../table.js';

/** The view when the host is not in a cluster. */
type SingleHost = { readonly cluster: null };

/** Prints the cluster's hosts (or the JSON view with `json`); returns the exit code. */
export async function lsHosts(client: AdminClient, io: CliIo, json: boolean): Promise<number> {
  const view = await client.request<ClusterView | SingleHost>('GET', '/v1/cluster/hosts');
  if (json) {
    io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    return 0;
  }
  if (view.cluster === null) {
    io.stdout.write('this host is not in a cluster (start it with `lnano serve --cluster nats://host:4222`)\n');
    return 0;
  }
  const desired = view.desired
    .map(
      (d) =>
        `${d.name}@${d.error ? `(unreadable: ${d.error})` : (d.active?.version ?? '-')}${d.canary ? ` + canary ${d.canary.version} (${d.canary.weight}%)` : ''}`,
    )
    .join(', ');
  io.stdout.write(`cluster ${view.cluster} (asked ${view.self}${view.connected ? '' : ', NOT CONNECTED'}): desired ${desired || 'nothing'}\n`);
  const rows = view.hosts.flatMap((h) => {
    const head = [h.hostId, h.labels.join(',') || null];
    if (h.invalid) return [[...head, null, null, null, `unreadable heartbeat: ${h.invalid}`, null]];
    if (h.serving.length === 0) return [[...head, null, null, null, h.converged ? 'converged' : 'NOT CONVERGED', formatMs(h.lastSeenMs)]];
    return h.serving.map((s) => [
      ...head,
      s.name,
      `${s.active ?? '-'}${s.canary ? ` + ${s.canary.version} (${s.canary.weight}%)` : ''}`,
      s.desired,
      s.error ? `NOT CONVERGED: ${s.error.code}` : s.converged && (s.desired === null || s.desired === s.active) ? 'converged' : 'NOT CONVERGED',
      formatMs(h.lastSeenMs),
    ]);
  });
  io.stdout.write(renderTable(['HOST', 'LABELS', 'NAME', 'SERVES', 'DESIRED', 'STATE', 'SEEN'], rows));
  return view.hosts.every((h) => h.converged) ? 0 : 1;
}
