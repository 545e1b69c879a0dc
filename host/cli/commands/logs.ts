import { logLineParts } from '../../log/log-line.js';
import type { LogEntry } from '../../log/log-ring.js';
import { ADMIN_CLIENT_HELP, ADMIN_CLIENT_OPTIONS, AdminClient, type AdminClientFlags } from '../admin-client.js';
import { parseCommandArgs, usageError } from '../args.js';
import type { CliIo } from '../cli-io.js';

export const LOGS_HELP = `Usage: lnano logs <name> [-f] [-n <lines>]

Prints a deployed plugin's recent log lines as the host logged them (at the host's --log-level):
what its guest logged through liquid-nano:plugin/log and wrote to stdout/stderr, and the host's
own lines about it (failed calls, deaths, refused requests). -f keeps following new lines.

Options:
  -f, --follow        keep printing new lines until interrupted
  -n, --lines <n>     how many recent lines to print first (default 100)
${ADMIN_CLIENT_HELP}
  -h, --help          show this help
`;

interface LogsFlags extends AdminClientFlags {
  follow?: boolean;
  lines?: string;
  help?: boolean;
}

/** One log line for people: `time level [version] where message code {guest fields}`. */
export function formatLogLine(entry: Record<string, unknown>): string {
  const p = logLineParts(entry);
  return `${p.time} ${p.level.padEnd(5)} ${p.version ? `[${p.version}]` : ''}${p.where ? ` ${p.where}` : ''} ${p.text}${p.code ? ` ${p.code}` : ''}${p.fields ? ` ${p.fields}` : ''}`.replace(
    /\s+$/,
    '',
  );
}

/** `lnano logs <name>`. */
export async function logsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs<LogsFlags>('logs', argv, {
    ...ADMIN_CLIENT_OPTIONS,
    follow: { type: 'boolean', short: 'f' },
    lines: { type: 'string', short: 'n' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(LOGS_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw usageError('logs', positionals.length === 0 ? 'missing <name>' : `unexpected argument "${positionals[1]}"`);
  const lines = values.lines === undefined ? 100 : Number(values.lines);
  if (!Number.isInteger(lines) || lines < 1 || lines > 10_000) throw usageError('logs', `--lines takes 1 to 10000, got "${values.lines}"`);
  const client = AdminClient.fromFlags(values, io);
  const path = `/v1/components/${encodeURIComponent(positionals[0]!)}/logs?lines=${lines}`;
  const print = (entry: Record<string, unknown>): void => void io.stdout.write(`${values.json ? JSON.stringify(entry) : formatLogLine(entry)}\n`);
  if (values.follow) {
    await client.follow(`${path}&follow=1`, print);
    return 0;
  }
  const { lines: entries } = await client.request<{ lines: LogEntry[] }>('GET', path);
  for (const entry of entries) print(entry);
  return 0;
}
