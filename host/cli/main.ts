import { readFileSync } from 'node:fs';
import { processIo, reportError, type CliIo } from './cli-io.js';
import { usageError } from './args.js';
import { RUN_HELP, runCommand } from './commands/run.js';
import { INSPECT_HELP, inspectCommand } from './commands/inspect.js';
import { SERVE_HELP, serveCommand } from './commands/serve.js';
import { DEPLOY_HELP, deployCommand } from './commands/deploy.js';
import { ABORT_HELP, PROMOTE_HELP, ROLLBACK_HELP, abortCommand, promoteCommand, rollbackCommand } from './commands/rollouts.js';
import { HISTORY_HELP, LS_HELP, STATUS_HELP, historyCommand, lsCommand, statusCommand } from './commands/status.js';
import { INVOKE_HELP, invokeCommand } from './commands/invoke.js';
import { LOGS_HELP, logsCommand } from './commands/logs.js';
import { NEW_HELP, newCommand } from './commands/new.js';
import { BUILD_HELP, buildCommand } from './commands/build.js';
import { TIMELINE_HELP, timelineCommand } from './commands/timeline.js';
import { PIPELINE_HELP, pipelineCommand } from './commands/pipeline.js';

interface CommandEntry {
  readonly summary: string;
  readonly help: string;
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  run: { summary: 'run one component once, no server (a command, or --invoke an export)', help: RUN_HELP, run: runCommand },
  inspect: { summary: "print a component's world, types and the capabilities it needs", help: INSPECT_HELP, run: inspectCommand },
  serve: { summary: 'run the host: event ingress, admin API, deployed plugins', help: SERVE_HELP, run: serveCommand },
  deploy: { summary: 'hot-deploy a component to a running host (immediate, canary, blue-green)', help: DEPLOY_HELP, run: deployCommand },
  rollback: { summary: 'make an earlier version active now', help: ROLLBACK_HELP, run: rollbackCommand },
  promote: { summary: 'give a canary every call', help: PROMOTE_HELP, run: promoteCommand },
  abort: { summary: 'drop a canary; the active version keeps serving', help: ABORT_HELP, run: abortCommand },
  ls: { summary: 'list what a running host serves', help: LS_HELP, run: lsCommand },
  status: { summary: 'how one deployed plugin is doing', help: STATUS_HELP, run: statusCommand },
  history: { summary: "a plugin's versions and audit trail (--verify checks the hash chain)", help: HISTORY_HELP, run: historyCommand },
  logs: { summary: "a deployed plugin's recent log lines (-f to follow)", help: LOGS_HELP, run: logsCommand },
  invoke: { summary: 'send one event to a deployed plugin', help: INVOKE_HELP, run: invokeCommand },
  new: { summary: 'start a plugin project (c, cpp, rust, ts, js, assemblyscript, wat)', help: NEW_HELP, run: newCommand },
  build: { summary: 'build the plugin project in a folder into component.wasm', help: BUILD_HELP, run: buildCommand },
  timeline: { summary: 'recent plugin calls and their outcomes, newest last (-f to follow)', help: TIMELINE_HELP, run: timelineCommand },
  pipeline: { summary: 'run, list and inspect pipelines; validate a pipeline file', help: PIPELINE_HELP, run: pipelineCommand },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: lnano <command> [options]

Liquid Nano: a WebAssembly component host. Runs WASI 0.2 components in sandboxed workers
with exactly the capabilities they are granted.

Commands:
${rows.join('\n')}
  help <command>  show a command's help

Options:
  -h, --help      show this help
  -V, --version   print the version

Exit codes: 0 ok; 1 the guest or the host failed at run time; 2 usage, config or input error.
`;
}

/**
 * Runs the `lnano` command line and returns the exit code. Never throws: every error is printed
 * with its stable code, reason and fix.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help') {
      io.stdout.write(mainHelp());
      return command === undefined ? 2 : 0;
    }
    if (command === '-V' || command === '--version') {
      io.stdout.write(`lnano ${version()}\n`);
      return 0;
    }
    if (command === 'help') {
      const topic = rest[0];
      const entry = topic === undefined ? undefined : COMMANDS[topic];
      if (topic !== undefined && !entry) throw usageError('help', `unknown command "${topic}"`);
      io.stdout.write(entry ? entry.help : mainHelp());
      return 0;
    }
    const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!entry) throw usageError(command, `unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return await entry.run(rest, io);
  } catch (err) {
    return reportError(io, err);
  }
}
