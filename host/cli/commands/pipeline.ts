/**
 * `lnano pipeline run | ls | status | validate`: pipelines of a running host (through its admin
 * API), and local validation of a pipeline file.
 */

import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { LnError } from '../../errors/ln-error.js';
import { parsePipelineText, readPipelineFile } from '../../pipelines/pipeline-file.js';
import type { PipelineListing } from '../../pipelines/pipeline-service.js';
import type { RunRecord, RunSummary } from '../../pipelines/run-record.js';
import { ADMIN_CLIENT_HELP, ADMIN_CLIENT_OPTIONS, AdminClient, type AdminClientFlags } from '../admin-client.js';
import { parseCommandArgs, usageError } from '../args.js';
import { type CliIo, reportError } from '../cli-io.js';
import { readInput, readStdin } from '../stdin-input.js';
import { formatMs, renderTable } from '../table.js';

export const PIPELINE_HELP = `Usage: lnano pipeline <run|ls|status|validate> [options]

Pipelines chain plugins into a DAG of steps with conditions, timeouts, retries and fallbacks
(docs/pipelines.md). The host loads them from its pipeline directory (serve --pipelines) and
reloads a file when it changes.

  lnano pipeline ls                          every pipeline, valid or not, with its trigger
  lnano pipeline run <name> [event] [--wait] start a run; --wait prints each step as it finishes
  lnano pipeline status <name> [run-id]      recent runs, or one run step by step
  lnano pipeline validate <file>             check a pipeline file locally (no host needed);
                                             - reads it from stdin (as YAML, a superset of JSON)

The event of a run:
  --event @file           a whole CloudEvents JSON envelope from a file (@- from stdin)
  --event-type <type>     or build one: its type (default: pipeline.manual) …
  --data <json|@file>     … and its data: JSON text or a JSON file (@- from stdin)
  --source <uri>          … its source (default: /lnano/cli)
Run options:
  --priority <n>          -1000 to 1000; higher runs first (default: the pipeline's priority)
  --wait                  wait for the end, printing each step; exit 1 when the run failed
${ADMIN_CLIENT_HELP}
  -h, --help              show this help
`;

interface PipelineFlags extends AdminClientFlags {
  event?: string;
  'event-type'?: string;
  data?: string;
  source?: string;
  priority?: string;
  wait?: boolean;
  help?: boolean;
}

/** The most an `--event @file` or `--data @file` may hold. */
const MAX_EVENT_BYTES = 16 * 1024 * 1024;

const MARK: Record<string, string> = { succeeded: '✓', failed: '✗', skipped: '-', fallback: '↷', running: '…', pending: '↻' };

async function readJsonArg(value: string, flag: string, io: CliIo): Promise<unknown> {
  const text = value.startsWith('@') ? (await readInput(io, 'pipeline', flag, value.slice(1), MAX_EVENT_BYTES)).toString('utf8') : value;
  try {
    return JSON.parse(text);
  } catch {
    throw new LnError('LN_ERR_CONFIG_INVALID', { key: flag, source: 'command line', reason: 'not JSON' });
  }
}

async function eventOf(values: PipelineFlags, io: CliIo): Promise<unknown> {
  if (values.event !== undefined) {
    if (values['event-type'] !== undefined || values.data !== undefined) throw usageError('pipeline', '--event cannot be combined with --event-type or --data');
    if (!values.event.startsWith('@')) throw usageError('pipeline', '--event takes @file (or @- for stdin)');
    return readJsonArg(values.event, '--event', io);
  }
  if (values['event-type'] === undefined && values.data === undefined) return undefined;
  return {
    id: randomUUID(),
    type: values['event-type'] ?? 'pipeline.manual',
    source: values.source ?? '/lnano/cli',
    ...(values.data !== undefined ? { data: await readJsonArg(values.data, '--data', io) } : {}),
  };
}

function stepLine(step: {
  step?: string;
  id?: string;
  status: string;
  attempts: number;
  durationMs: number | null;
  error?: { code: string; message: string };
  skipReason?: string;
}): string {
  const id = step.step ?? step.id ?? '?';
  const detail =
    step.status === 'failed' || (step.status === 'pending' && step.error)
      ? `  ${step.error?.code}: ${step.error?.message}`
      : step.skipReason
        ? `  (${step.skipReason})`
        : '';
  const what =
    step.status === 'pending' && step.error
      ? `attempt ${step.attempts} failed, retrying`
      : step.status === 'running'
        ? `running (attempt ${step.attempts})`
        : step.status;
  return `  ${MARK[step.status] ?? ' '} ${id.padEnd(16)} ${what}${step.durationMs !== null && step.status !== 'running' && step.status !== 'pending' ? ` in ${formatMs(step.durationMs)}` : ''}${detail}\n`;
}

function printRun(run: RunRecord, io: CliIo): void {
  io.stdout.write(
    `run ${run.runId} of ${run.pipeline}: ${run.status}${run.durationMs !== null ? ` in ${formatMs(run.durationMs)}` : ''} (event ${run.event.type} ${run.event.id}, priority ${run.priority})\n`,
  );
  io.stdout.write(
    renderTable(
      ['step', 'component', 'status', 'attempts', 'time', 'error'],
      run.steps.map((s) => [
        s.id,
        s.component,
        s.status,
        s.attempts,
        formatMs(s.durationMs),
        s.error ? `${s.error.code}: ${s.error.message}`.slice(0, 100) : (s.skipReason ?? ''),
      ]),
    ),
  );
}

async function run(name: string, values: PipelineFlags, io: CliIo): Promise<number> {
  const event = await eventOf(values, io);
  let priority: number | undefined;
  if (values.priority !== undefined) {
    priority = Number(values.priority);
    if (!Number.isInteger(priority) || priority < -1000 || priority > 1000)
      throw usageError('pipeline', `--priority takes -1000 to 1000, got "${values.priority}"`);
  }
  const client = AdminClient.fromFlags(values, io);
  const body = { ...(event !== undefined ? { event } : {}), ...(priority !== undefined ? { priority } : {}), wait: values.wait === true };
  const path = `/v1/pipelines/${encodeURIComponent(name)}/runs`;
  if (!values.wait) {
    const started = await client.request<{ runId: string; status: string }>('POST', path, body);
    io.stdout.write(
      values.json ? `${JSON.stringify(started)}\n` : `started ${started.runId} (${started.status}); see: lnano pipeline status ${name} ${started.runId}\n`,
    );
    return 0;
  }
  const result = await client.stream<RunRecord>('POST', path, body, (line) => {
    if (!values.json) io.stdout.write(stepLine(line as unknown as Parameters<typeof stepLine>[0]));
  });
  if (values.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else io.stdout.write(`${result.status === 'succeeded' ? '✓' : '✗'} run ${result.runId} ${result.status} in ${formatMs(result.durationMs)}\n`);
  if (result.status !== 'failed') return 0;
  const error = new LnError('LN_ERR_EVENT_PIPELINE_FAILED', {
    name,
    runId: result.runId,
    step: result.error?.step ?? '?',
    reason: result.error ? `${result.error.code}: ${result.error.message}` : 'unknown',
  });
  reportError(io, error, { json: values.json === true });
  return 1;
}

async function ls(values: PipelineFlags, io: CliIo): Promise<number> {
  const { pipelines } = await AdminClient.fromFlags(values, io).request<{ pipelines: PipelineListing[] }>('GET', '/v1/pipelines');
  if (values.json) {
    io.stdout.write(`${JSON.stringify(pipelines, null, 2)}\n`);
    return 0;
  }
  if (pipelines.length === 0) {
    io.stdout.write("no pipelines (add <name>.json files to the host's pipeline directory, or PUT /v1/pipelines/<name>)\n");
    return 0;
  }
  io.stdout.write(
    renderTable(
      ['name', 'valid', 'trigger', 'steps', 'file / error'],
      pipelines.map((p) =>
        p.valid
          ? [p.name, 'yes', p.trigger.events.join(',') || '(manual)', p.order.join(' → '), p.file]
          : [p.name, p.servingPrevious ? 'no (previous serves)' : 'no', '', '', `${p.error.code}: ${p.error.message}`.slice(0, 160)],
      ),
    ),
  );
  return 0;
}

async function status(name: string, runId: string | undefined, values: PipelineFlags, io: CliIo): Promise<number> {
  const client = AdminClient.fromFlags(values, io);
  const base = `/v1/pipelines/${encodeURIComponent(name)}`;
  if (runId !== undefined) {
    const run = await client.request<RunRecord>('GET', `${base}/runs/${encodeURIComponent(runId)}`);
    if (values.json) io.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
    else printRun(run, io);
    return 0;
  }
  const { pipeline, runs } = await client.request<{ pipeline: PipelineListing; runs: RunSummary[] }>('GET', base);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ pipeline, runs }, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(
    pipeline.valid
      ? `${pipeline.name}: ${pipeline.order.join(' → ')} (trigger: ${pipeline.trigger.events.join(', ') || 'manual'})\n`
      : `${pipeline.name}: INVALID ${pipeline.error.code}: ${pipeline.error.message}\n`,
  );
  if (runs.length === 0) {
    io.stdout.write('no runs yet\n');
    return 0;
  }
  const latest = runs[0]!;
  io.stdout.write(
    renderTable(
      ['run', 'status', 'event', 'queued', 'time', 'steps'],
      runs.map((r) => [r.runId, r.status, r.event.type, r.queuedAt, formatMs(r.durationMs), r.steps.map((s) => `${MARK[s.status] ?? ''}${s.id}`).join(' ')]),
    ),
  );
  if (latest.status !== 'queued') printRun(await client.request<RunRecord>('GET', `${base}/runs/${encodeURIComponent(latest.runId)}`), io);
  return 0;
}

async function validate(file: string, values: PipelineFlags, io: CliIo): Promise<number> {
  // From stdin the text has no file name: parsed as YAML (JSON is YAML), its name not checked against one.
  const definition =
    file === '-'
      ? parsePipelineText((await readStdin(io, 'pipeline', '<file>', MAX_EVENT_BYTES)).toString('utf8'), 'stdin')
      : await readPipelineFile(resolve(io.cwd, file));
  if (values.json) io.stdout.write(`${JSON.stringify({ valid: true, name: definition.name, order: definition.order })}\n`);
  else io.stdout.write(`✓ ${file}: pipeline "${definition.name}", steps in order: ${definition.order.join(' → ')}\n`);
  return 0;
}

/** `lnano pipeline`: returns the exit code. */
export async function pipelineCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs<PipelineFlags>('pipeline', argv, {
    ...ADMIN_CLIENT_OPTIONS,
    event: { type: 'string' },
    'event-type': { type: 'string' },
    data: { type: 'string' },
    source: { type: 'string' },
    priority: { type: 'string' },
    wait: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(PIPELINE_HELP);
    return 0;
  }
  const [sub, ...args] = positionals;
  const expect = (min: number, max: number, usage: string): void => {
    if (args.length < min || args.length > max) throw usageError('pipeline', `usage: lnano pipeline ${usage}`);
  };
  switch (sub) {
    case 'run':
      expect(1, 1, 'run <name> [--event @file | --event-type t --data json|@file] [--wait]');
      return run(args[0]!, values, io);
    case 'ls':
      expect(0, 0, 'ls');
      return ls(values, io);
    case 'status':
      expect(1, 2, 'status <name> [run-id]');
      return status(args[0]!, args[1], values, io);
    case 'validate':
      expect(1, 1, 'validate <file>');
      return validate(args[0]!, values, io);
    default:
      throw usageError(
        'pipeline',
        sub === undefined ? 'missing the subcommand: run, ls, status or validate' : `unknown subcommand "${sub}"; use run, ls, status or validate`,
      );
  }
}
