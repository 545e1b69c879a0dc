import { readFileSync } from 'node:fs';
import { usageError } from './args.js';
import { type CliIo, processIo, reportError } from './cli-io.js';

/** A command's help text and entry point, from its module. */
interface CommandModule {
  readonly help: string;
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>;
}

interface CommandEntry {
  readonly summary: string;
  /**
   * Imports the command's module on first use: `lnano run` must not pay for the server, the
   * metrics registry or OpenTelemetry (issue 15: start fast), so no command module is imported
   * at start-up.
   */
  readonly load: () => Promise<CommandModule>;
}

const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  run: {
    summary: 'run one component once, no server (a command, or --invoke an export)',
    load: async () => {
      const m = await import('./commands/run.js');
      return { help: m.RUN_HELP, run: m.runCommand };
    },
  },
  inspect: {
    summary: "print a component's world, types and the capabilities it needs",
    load: async () => {
      const m = await import('./commands/inspect.js');
      return { help: m.INSPECT_HELP, run: m.inspectCommand };
    },
  },
  serve: {
    summary: 'run the host: event ingress, admin API, deployed plugins',
    load: async () => {
      const m = await import('./commands/serve.js');
      return { help: m.SERVE_HELP, run: m.serveCommand };
    },
  },
  deploy: {
    summary: 'hot-deploy a component to a running host (immediate, canary, blue-green)',
    load: async () => {
      const m = await import('./commands/deploy.js');
      return { help: m.DEPLOY_HELP, run: m.deployCommand };
    },
  },
  rollback: {
    summary: 'make an earlier version active now',
    load: async () => {
      const m = await import('./commands/rollouts.js');
      return { help: m.ROLLBACK_HELP, run: m.rollbackCommand };
    },
  },
  promote: {
    summary: 'give a canary every call',
    load: async () => {
      const m = await import('./commands/rollouts.js');
      return { help: m.PROMOTE_HELP, run: m.promoteCommand };
    },
  },
  abort: {
    summary: 'drop a canary; the active version keeps serving',
    load: async () => {
      const m = await import('./commands/rollouts.js');
      return { help: m.ABORT_HELP, run: m.abortCommand };
    },
  },
  ls: {
    summary: 'list what a running host serves',
    load: async () => {
      const m = await import('./commands/status.js');
      return { help: m.LS_HELP, run: m.lsCommand };
    },
  },
  status: {
    summary: 'how one deployed plugin is doing',
    load: async () => {
      const m = await import('./commands/status.js');
      return { help: m.STATUS_HELP, run: m.statusCommand };
    },
  },
  history: {
    summary: "a plugin's versions and audit trail (--verify checks the hash chain)",
    load: async () => {
      const m = await import('./commands/status.js');
      return { help: m.HISTORY_HELP, run: m.historyCommand };
    },
  },
  logs: {
    summary: "a deployed plugin's recent log lines (-f to follow)",
    load: async () => {
      const m = await import('./commands/logs.js');
      return { help: m.LOGS_HELP, run: m.logsCommand };
    },
  },
  invoke: {
    summary: 'send one event to a deployed plugin',
    load: async () => {
      const m = await import('./commands/invoke.js');
      return { help: m.INVOKE_HELP, run: m.invokeCommand };
    },
  },
  new: {
    summary: 'start a plugin project (c, cpp, rust, ts, js, assemblyscript, wat)',
    load: async () => {
      const m = await import('./commands/new.js');
      return { help: m.NEW_HELP, run: m.newCommand };
    },
  },
  build: {
    summary: 'build the plugin project in a folder into component.wasm',
    load: async () => {
      const m = await import('./commands/build.js');
      return { help: m.BUILD_HELP, run: m.buildCommand };
    },
  },
  timeline: {
    summary: 'recent plugin calls and their outcomes, newest last (-f to follow)',
    load: async () => {
      const m = await import('./commands/timeline.js');
      return { help: m.TIMELINE_HELP, run: m.timelineCommand };
    },
  },
  pipeline: {
    summary: 'run, list and inspect pipelines; validate a pipeline file',
    load: async () => {
      const m = await import('./commands/pipeline.js');
      return { help: m.PIPELINE_HELP, run: m.pipelineCommand };
    },
  },
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
      io.stdout.write(entry ? (await entry.load()).help : mainHelp());
      return 0;
    }
    const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!entry) throw usageError(command, `unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return await (await entry.load()).run(rest, io);
  } catch (err) {
    return reportError(io, err);
  }
}
