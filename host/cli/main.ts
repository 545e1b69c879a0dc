import { readFileSync } from 'node:fs';
import { processIo, reportError, type CliIo } from './cli-io.js';
import { usageError } from './args.js';
import { RUN_HELP, runCommand } from './commands/run.js';
import { INSPECT_HELP, inspectCommand } from './commands/inspect.js';
import { SERVE_HELP, serveCommand } from './commands/serve.js';

interface CommandEntry {
  readonly summary: string;
  readonly help: string;
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  run: { summary: 'run one component once, no server (a command, or --invoke an export)', help: RUN_HELP, run: runCommand },
  inspect: { summary: "print a component's world, types and the capabilities it needs", help: INSPECT_HELP, run: inspectCommand },
  serve: { summary: 'run the host: serve the plugin components of a folder over HTTP', help: SERVE_HELP, run: serveCommand },
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
