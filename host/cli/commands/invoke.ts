import { randomUUID } from 'node:crypto';
import { LnError } from '../../errors/ln-error.js';
import type { PluginCallOutcome } from '../../versions/version-manager.js';
import { ADMIN_CLIENT_HELP, ADMIN_CLIENT_OPTIONS, AdminClient, type AdminClientFlags } from '../admin-client.js';
import { parseCommandArgs, usageError } from '../args.js';
import type { CliIo } from '../cli-io.js';
import { paletteFor } from '../colour.js';
import { prettyJson } from '../json-output.js';
import { readInput } from '../stdin-input.js';

export const INVOKE_HELP = `Usage: lnano invoke <name> --event-type <type> [--data <json> | --data @file] [options]

Sends one event to a deployed plugin (its active version, or its canary by weight) and prints
what it answered: the events it returned, or its error, as indented JSON (coloured on a
terminal); with --json, as one compact JSON line. Exits 1 when the plugin answered with an error.

Options:
  --event-type <type>   the event's type (required)
  --data <json|@file>   the event's data: JSON text, or @file to send a file's bytes
                        (@- reads them from stdin)
  --source <uri>        the event's source (default: /lnano/cli)
  --id <id>             the event's id (default: a new UUID)
${ADMIN_CLIENT_HELP}
  -h, --help            show this help
`;

/** The most `--data @file` sends (the admin API's body limit is what counts; this stops a runaway read). */
const MAX_DATA_BYTES = 64 * 1024 * 1024;

interface InvokeFlags extends AdminClientFlags {
  'event-type'?: string;
  data?: string;
  source?: string;
  id?: string;
  help?: boolean;
}

/** `lnano invoke`: returns the process exit code (1 when the plugin answered with an error). */
export async function invokeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs<InvokeFlags>('invoke', argv, {
    ...ADMIN_CLIENT_OPTIONS,
    'event-type': { type: 'string' },
    data: { type: 'string' },
    source: { type: 'string' },
    id: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(INVOKE_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw usageError('invoke', positionals.length === 0 ? 'missing <name>' : `unexpected argument "${positionals[1]}"`);
  if (!values['event-type']) throw usageError('invoke', 'missing --event-type');
  const envelope: Record<string, unknown> = { id: values.id ?? randomUUID(), type: values['event-type'], source: values.source ?? '/lnano/cli' };
  if (values.data?.startsWith('@')) {
    const bytes = await readInput(io, 'invoke', '--data', values.data.slice(1), MAX_DATA_BYTES);
    envelope.data_base64 = bytes.toString('base64');
    envelope.datacontenttype = 'application/octet-stream';
  } else if (values.data !== undefined) {
    try {
      envelope.data = JSON.parse(values.data);
    } catch {
      throw new LnError('LN_ERR_CONFIG_INVALID', { key: '--data', source: 'command line', reason: 'not JSON (use @file for raw bytes)' });
    }
  }
  const client = AdminClient.fromFlags(values, io);
  const outcome = await client.request<PluginCallOutcome>('POST', `/v1/components/${encodeURIComponent(positionals[0]!)}/invoke`, envelope);
  io.stdout.write(`${values.json ? JSON.stringify(outcome) : prettyJson(outcome, paletteFor(io.stdout, io.env))}\n`);
  return outcome.ok ? 0 : 1;
}
