import { LnError } from '../../errors/ln-error.js';
import { formatByteSize } from '../../support/units.js';
import type { AuditEntry, AuditVerification } from '../../versions/audit-trail.js';
import type { Deployment, VersionRecord } from '../../versions/deployment.js';
import type { RouteStatus } from '../../versions/version-status.js';
import { ADMIN_CLIENT_HELP, ADMIN_CLIENT_OPTIONS, AdminClient, type AdminClientFlags } from '../admin-client.js';
import { parseCommandArgs, usageError } from '../args.js';
import type { CliIo } from '../cli-io.js';
import { formatMs, renderTable } from '../table.js';

export const LS_HELP = `Usage: lnano ls [--hosts]

Lists what a running host serves: each plugin's active version, canary and weight, the last
deploy, calls, error rate and latency. With --hosts (a host in a cluster, docs/cluster.md):
every host of the cluster, what it serves against the desired state, and whether it has
converged; exits 1 when one has not.

Options:
  --hosts             the cluster's hosts instead of this host's plugins
${ADMIN_CLIENT_HELP}
  -h, --help          show this help
`;
export const STATUS_HELP = `Usage: lnano status <name>

How one plugin is doing: active version, canary, blue-green standby, the last deploy and its
step, instance pool (instances, busy, queued, deaths), calls, error rate, p50/p99 latency.

Options:
${ADMIN_CLIENT_HELP}
  -h, --help          show this help
`;
export const HISTORY_HELP = `Usage: lnano history <name> [--verify] [--limit n]

The retained versions of a plugin and its audit trail: every deploy, promote, abort, rollback
(manual or automatic), grant approval and refused attempt, with actor, time and reason.
--verify checks the audit trail's hash chain and exits 1 if it was tampered with.

Options:
  --verify            verify the whole audit trail's hash chain
  --limit <n>         at most n audit entries (default 50)
${ADMIN_CLIENT_HELP}
  -h, --help          show this help
`;

interface StatusFlags extends AdminClientFlags {
  hosts?: boolean;
  verify?: boolean;
  limit?: string;
  help?: boolean;
}

function percent(rate: number | undefined): string {
  return rate === undefined ? '-' : `${(rate * 100).toFixed(1)}%`;
}

function open(
  command: string,
  argv: readonly string[],
  io: CliIo,
  helpText: string,
  names: number,
  extra = {},
): { values: StatusFlags; name?: string; client?: AdminClient } | null {
  const { values, positionals } = parseCommandArgs<StatusFlags>(command, argv, { ...ADMIN_CLIENT_OPTIONS, ...extra, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout.write(helpText);
    return null;
  }
  if (positionals.length !== names) throw usageError(command, positionals.length < names ? 'missing <name>' : `unexpected argument "${positionals[names]}"`);
  return { values, name: positionals[0], client: AdminClient.fromFlags(values, io) };
}

/** `lnano ls`. */
export async function lsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const opened = open('ls', argv, io, LS_HELP, 0, { hosts: { type: 'boolean' } });
  if (!opened) return 0;
  if (opened.values.hosts) return (await import('./ls-hosts.js')).lsHosts(opened.client!, io, opened.values.json === true);
  const { components } = await opened.client!.request<{ components: RouteStatus[] }>('GET', '/v1/components');
  if (opened.values.json) {
    io.stdout.write(`${JSON.stringify(components, null, 2)}\n`);
    return 0;
  }
  if (components.length === 0) {
    io.stdout.write('nothing deployed yet: `lnano deploy <component.wasm | folder>`\n');
    return 0;
  }
  io.stdout.write(
    renderTable(
      ['NAME', 'ACTIVE', 'CANARY', 'LAST DEPLOY', 'CALLS', 'ERRORS', 'P50', 'P99'],
      components.map((c) => [
        c.name,
        c.active?.version,
        c.candidate ? `${c.candidate.version} (${c.candidate.weight}%)` : null,
        `${c.deployment.deploy.version} ${c.deployment.deploy.status}`,
        c.active?.health.calls,
        percent(c.active?.health.errorRate),
        formatMs(c.active?.health.p50Ms),
        formatMs(c.active?.health.p99Ms),
      ]),
    ),
  );
  return 0;
}

/** `lnano status <name>`. */
export async function statusCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const opened = open('status', argv, io, STATUS_HELP, 1);
  if (!opened) return 0;
  const s = await opened.client!.request<RouteStatus>('GET', `/v1/components/${encodeURIComponent(opened.name!)}`);
  if (opened.values.json) {
    io.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return 0;
  }
  const d = s.deployment.deploy;
  const lines = [
    `name         ${s.name}`,
    `active       ${s.active ? `${s.active.version} (${s.active.digest.slice(0, 19)}…)` : 'none'}`,
    `previous     ${s.deployment.previous ?? '-'}`,
    `last deploy  ${d.version} ${d.strategy}: ${d.status} at step ${d.step}${d.reason ? ` — ${d.reason}` : ''} (${d.actor}, ${d.updatedAt})`,
  ];
  const row = (label: string, v: RouteStatus['active']): string[] =>
    v
      ? [
          `${label.padEnd(12)} ${v.version}: ${v.pool.instances} instances (${v.pool.busy} busy, ${v.pool.queued} queued, ${v.pool.died} died), ` +
            `${v.health.calls} calls, ${percent(v.health.errorRate)} errors in the window, p50 ${formatMs(v.health.p50Ms)}, p99 ${formatMs(v.health.p99Ms)}` +
            `${v.stateful ? ', stateful' : ''}${v.watched ? ', watched for auto-rollback' : ''}`,
          `${''.padEnd(12)} used: ${formatMs(v.usage.durationMs)} in guests, ${v.usage.fuelUsed} fuel, peak memory ${formatByteSize(v.usage.peakMemoryBytes)}, ` +
            `${formatByteSize(v.usage.bytesIn)} in / ${formatByteSize(v.usage.bytesOut)} out, host calls ${
              Object.entries(v.usage.hostCalls)
                .map(([k, n]) => `${k}=${n}`)
                .join(' ') || 'none'
            }`,
        ]
      : [];
  lines.push(...row('serving', s.active), ...(s.candidate ? row(`canary ${s.candidate.weight}%`, s.candidate) : []), ...row('standby', s.standby));
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** `lnano history <name>`. */
export async function historyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const opened = open('history', argv, io, HISTORY_HELP, 1, { verify: { type: 'boolean' }, limit: { type: 'string' } });
  if (!opened) return 0;
  const { values, name, client } = opened;
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw usageError('history', `--limit takes 1 to 10000, got "${values.limit}"`);
  const history = await client!.request<{ deployment: Deployment | null; versions: VersionRecord[]; entries: AuditEntry[] }>(
    'GET',
    `/v1/components/${encodeURIComponent(name!)}/history?limit=${limit}`,
  );
  const verification = values.verify
    ? (await client!.request<{ verification: AuditVerification | null }>('GET', '/v1/audit?verify=1&limit=1')).verification
    : null;
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ ...history, verification }, null, 2)}\n`);
  } else {
    io.stdout.write(`versions of ${name}\n`);
    io.stdout.write(
      renderTable(
        ['VERSION', 'DIGEST', 'CREATED', 'BY', ''],
        history.versions.map((v) => [
          v.version,
          `${v.digest.slice(0, 19)}…`,
          v.createdAt,
          v.createdBy,
          v.version === history.deployment?.active ? 'active' : v.version === history.deployment?.previous ? 'previous' : '',
        ]),
      ),
    );
    io.stdout.write(`\naudit trail\n`);
    io.stdout.write(
      renderTable(
        ['#', 'TIME', 'ACTOR', 'ACTION', 'VERSION', 'REASON'],
        history.entries.map((e) => [e.seq, e.time, e.actor, e.action, e.fromVersion && e.version ? `${e.fromVersion} → ${e.version}` : e.version, e.reason]),
      ),
    );
  }
  if (verification) {
    if (verification.ok) {
      if (!values.json) io.stdout.write(`\naudit trail verified: ${verification.entries} entries, hash chain intact\n`);
    } else {
      throw new LnError('LN_ERR_VERSION_AUDIT_TAMPERED', { seq: verification.seq, reason: verification.reason });
    }
  }
  return 0;
}
