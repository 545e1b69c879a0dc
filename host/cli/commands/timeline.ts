import type { TimelineEntry, TimelinePage } from '../../observability/diagnostics-timeline.js';
import { ADMIN_CLIENT_HELP, ADMIN_CLIENT_OPTIONS, AdminClient, type AdminClientFlags } from '../admin-client.js';
import { parseCommandArgs, usageError } from '../args.js';
import type { CliIo } from '../cli-io.js';
import { paletteFor } from '../colour.js';
import { TimelineLayout } from '../timeline-layout.js';

export const TIMELINE_HELP = `Usage: lnano timeline [--component <name>] [--status ok|error] [--code <code>] [--type <pattern>] [--limit <n>] [-f] [--wide]

Prints the diagnostics timeline of a running host: the outcome of each recent plugin call
(event, plugin and version, ok or the error code, duration, fuel, follow-up depth, pipeline
step), oldest first, in aligned columns fitted to the terminal's width (ids shortened to 8
characters, times of day in UTC). The host keeps the last 10 000 calls. -f keeps following new
calls as they happen (the admin API's Server-Sent Events stream). --json prints each entry
whole, one JSON object a line.

Options:
  --component <name>  only this plugin's calls
  --status ok|error   only successful or only failed calls
  --code <code>       only calls that failed with this error code (e.g. LN_ERR_GUEST_TRAP)
  --type <pattern>    only events whose type matches (e.g. sensor.*)
  --limit <n>         how many recent calls to print first (default 100, at most 10000)
  -f, --follow        keep printing new calls until interrupted
  --wide              full ids and dates, nothing cut to fit the terminal
${ADMIN_CLIENT_HELP}
  -h, --help          show this help
`;

interface TimelineFlags extends AdminClientFlags {
  component?: string;
  status?: string;
  code?: string;
  type?: string;
  limit?: string;
  follow?: boolean;
  wide?: boolean;
  help?: boolean;
}

/** `lnano timeline`. */
export async function timelineCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs<TimelineFlags>('timeline', argv, {
    ...ADMIN_CLIENT_OPTIONS,
    component: { type: 'string' },
    status: { type: 'string' },
    code: { type: 'string' },
    type: { type: 'string' },
    limit: { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
    wide: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(TIMELINE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw usageError('timeline', `unexpected argument "${positionals[0]}"`);
  if (values.status !== undefined && values.status !== 'ok' && values.status !== 'error')
    throw usageError('timeline', `--status takes ok or error, got "${values.status}"`);
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw usageError('timeline', `--limit takes 1 to 10000, got "${values.limit}"`);
  const filter = new URLSearchParams();
  for (const key of ['component', 'status', 'code', 'type'] as const) if (values[key] !== undefined) filter.set(key, values[key]!);
  const client = AdminClient.fromFlags(values, io);
  const page = await client.request<TimelinePage>('GET', `/v1/timeline?${new URLSearchParams([...filter, ['limit', String(limit)]])}`);
  const layout = new TimelineLayout(page.entries, page.latestSeq, {
    palette: paletteFor(io.stdout, io.env),
    wide: values.wide === true,
    ...(io.stdout.isTTY && io.stdout.columns ? { columns: io.stdout.columns } : {}),
  });
  const print = (entry: TimelineEntry): void => void io.stdout.write(`${values.json ? JSON.stringify(entry) : layout.line(entry)}\n`);
  if (!values.json && (page.entries.length > 0 || values.follow)) io.stdout.write(`${layout.header()}\n`);
  for (const entry of page.entries) print(entry);
  if (!values.follow) return 0;
  // Continue after the last entry this host had when the page was read: nothing is missed or repeated.
  const after = new URLSearchParams([...filter, ['after', String(page.latestSeq)]]);
  await client.events(`/v1/timeline/stream?${after}`, (event) => {
    if (event.event === 'outcome') print(JSON.parse(event.data) as TimelineEntry);
  });
  return 0;
}
