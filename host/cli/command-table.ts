/**
 * The table of `lnano` commands: name, one-line summary, what its positional arguments are (for
 * shell completion) and how to load it. `lnano help`, "did you mean" and `lnano completion` are
 * generated from it; each command's flags come from the spec the command itself parses with
 * (`describeOptions` in args.ts), so completion cannot drift from what a command accepts.
 */
import type { CliIo } from './cli-io.js';

/** A command's help text and entry point, from its module. */
export interface CommandModule {
  readonly help: string;
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>;
}

export interface CommandEntry {
  readonly summary: string;
  /** Its positional arguments, for completion: files, folders, fixed words (subcommands); none: nothing to complete. */
  readonly args?: 'file' | 'dir' | readonly string[];
  /**
   * Imports the command's module on first use: `lnano run` must not pay for the server, the
   * metrics registry or OpenTelemetry (issue 15: start fast), so no command module is imported
   * at start-up.
   */
  readonly load: () => Promise<CommandModule>;
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  run: {
    summary: 'run one component once, no server (a command, or --invoke an export)',
    args: 'file',
    load: async () => {
      const m = await import('./commands/run.js');
      return { help: m.RUN_HELP, run: m.runCommand };
    },
  },
  inspect: {
    summary: "print a component's world, types and the capabilities it needs",
    args: 'file',
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
    args: 'file',
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
    args: 'dir',
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
    args: ['run', 'ls', 'status', 'validate'],
    load: async () => {
      const m = await import('./commands/pipeline.js');
      return { help: m.PIPELINE_HELP, run: m.pipelineCommand };
    },
  },
  completion: {
    summary: 'print a shell completion script: bash, zsh or fish',
    args: ['bash', 'zsh', 'fish'],
    load: async () => {
      const m = await import('./commands/completion.js');
      return { help: m.COMPLETION_HELP, run: m.completionCommand };
    },
  },
};

/** Help of `lnano help` itself. */
export const HELP_HELP = `Usage: lnano help [command]

Prints the help of lnano (its commands, global options and exit codes), or of one command:
\`lnano help deploy\` prints what \`lnano deploy --help\` does.
`;
