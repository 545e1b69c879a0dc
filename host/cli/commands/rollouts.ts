import type { Deployment } from '../../versions/deployment.js';
import type { RollbackResult } from '../../versions/rollouts.js';
import { ADMIN_CLIENT_HELP, ADMIN_CLIENT_OPTIONS, AdminClient, type AdminClientFlags } from '../admin-client.js';
import { parseCommandArgs, usageError } from '../args.js';
import type { CliIo } from '../cli-io.js';

const help = (usage: string, what: string, extra = ''): string => `Usage: lnano ${usage}

${what}

Options:
${extra}  --reason <text>     why (recorded in the audit trail)
${ADMIN_CLIENT_HELP}
  -h, --help          show this help
`;

export const ROLLBACK_HELP = help(
  'rollback <name> [--to <version>]',
  'Makes an earlier version active now: the previous one (instant when a blue-green standby is\nwarm), or any retained version with --to, from cached artifacts (no transpile). In-flight\ncalls finish on the version being replaced.',
  '  --to <version>      the version to go back to (default: the previous one)\n',
);
export const PROMOTE_HELP = help('promote <name>', 'Gives a canary all the calls: it becomes the active version, and the old one is drained.');
export const ABORT_HELP = help('abort <name>', 'Drops a canary (or a deploy in progress): the active version keeps serving alone.');

interface RolloutFlags extends AdminClientFlags {
  to?: string;
  reason?: string;
  help?: boolean;
}

async function rollout(command: 'rollback' | 'promote' | 'abort', argv: readonly string[], io: CliIo, helpText: string): Promise<number> {
  const { values, positionals } = parseCommandArgs<RolloutFlags>(command, argv, {
    ...ADMIN_CLIENT_OPTIONS,
    ...(command === 'rollback' ? { to: { type: 'string' } } : {}),
    reason: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(helpText);
    return 0;
  }
  if (positionals.length !== 1) throw usageError(command, positionals.length === 0 ? 'missing <name>' : `unexpected argument "${positionals[1]}"`);
  const name = positionals[0]!;
  const client = AdminClient.fromFlags(values, io);
  const body = { ...(values.to ? { to: values.to } : {}), ...(values.reason ? { reason: values.reason } : {}) };
  const result = await client.request<RollbackResult | Deployment>('POST', `/v1/components/${encodeURIComponent(name)}/${command}`, body);
  if (values.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else if (command === 'rollback') {
    const r = result as RollbackResult;
    const how = r.source === 'standby' ? 'the warm standby, instant' : `from the ${r.source}`;
    io.stdout.write(`rolled back ${r.name}: ${r.from} → ${r.to} (${how}${r.handoff.kind === 'state' ? `, state moved (${r.handoff.bytes} bytes)` : ''})\n`);
  } else {
    const d = result as Deployment;
    io.stdout.write(
      command === 'promote' ? `promoted ${name}: ${d.active ?? '-'} now takes every call\n` : `aborted ${name}: ${d.active ?? 'nothing'} keeps serving\n`,
    );
  }
  return 0;
}

export const rollbackCommand = (argv: readonly string[], io: CliIo): Promise<number> => rollout('rollback', argv, io, ROLLBACK_HELP);
export const promoteCommand = (argv: readonly string[], io: CliIo): Promise<number> => rollout('promote', argv, io, PROMOTE_HELP);
export const abortCommand = (argv: readonly string[], io: CliIo): Promise<number> => rollout('abort', argv, io, ABORT_HELP);
