import { readFileSync } from 'node:fs';
import { LnError } from '../errors/ln-error.js';
import { usageError } from './args.js';
import { type CliIo, processIo, reportError, wantsJson } from './cli-io.js';
import { paletteFor } from './colour.js';
import { COMMANDS, HELP_HELP } from './command-table.js';
import { closest } from './suggest.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function mainHelp(io: CliIo): string {
  const c = paletteFor(io.stdout, io.env);
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length), 'help <command>'.length);
  const rows = Object.entries(COMMANDS).map(([name, entry]) => `  ${c.bold(name)}${' '.repeat(width - name.length)}  ${entry.summary}`);
  return `${c.bold('Usage:')} lnano <command> [options]

Liquid Nano: a WebAssembly component host. Runs WASI 0.2 components in sandboxed workers
with exactly the capabilities they are granted.

${c.bold('Commands:')}
${rows.join('\n')}
  ${c.bold('help')} <command>${' '.repeat(width - 'help <command>'.length)}  show a command's help

${c.bold('Options:')}
  -h, --help      show this help
  -V, --version   print the version
  --json          (most commands) machine-readable output; errors too, as JSON on stderr

Files: wherever a command reads a file, "-" reads it from stdin (--data @- for @file flags).
Colour: on a terminal; off with NO_COLOR=1 or when the output is not a terminal; FORCE_COLOR=1 forces it.
Exit codes: 0 ok; 1 the guest or the host failed at run time; 2 usage, config or input error.
`;
}

/** The unknown-command error, suggesting the closest command. */
function unknownCommand(command: string): LnError {
  const guess = closest(command, [...Object.keys(COMMANDS), 'help']);
  // The fix then points at the help of the command meant (`lnano help timeline`), else at lnano's.
  return new LnError('LN_ERR_CONFIG_USAGE', {
    reason: `lnano: unknown command "${command}"${guess ? `; did you mean \`lnano ${guess}\`?` : ''} (commands: ${Object.keys(COMMANDS).join(', ')}, help)`,
    command: guess ?? '',
  });
}

/** The first line of a help text: the command's synopsis. */
function synopsis(help: string): string {
  return help.split('\n', 1)[0]!;
}

/**
 * Runs the `lnano` command line and returns the exit code. Never throws: every error is printed
 * with its stable code, reason and fix (as JSON on stderr when `--json` was given); a usage error
 * also shows the command's synopsis.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  const json = wantsJson(rest);
  let usage = 'Usage: lnano <command> [options]';
  try {
    if (command === undefined || command === '-h' || command === '--help') {
      io.stdout.write(mainHelp(io));
      return command === undefined ? 2 : 0;
    }
    if (command === '-V' || command === '--version') {
      io.stdout.write(`lnano ${version()}\n`);
      return 0;
    }
    if (command === 'help') {
      usage = synopsis(HELP_HELP);
      const [topic, extra] = rest;
      if (extra !== undefined) throw usageError('help', `unexpected argument "${extra}"`);
      if (topic === undefined || topic === '-h' || topic === '--help') {
        io.stdout.write(topic === undefined ? mainHelp(io) : HELP_HELP);
        return 0;
      }
      if (topic === 'help') {
        io.stdout.write(HELP_HELP);
        return 0;
      }
      const entry = Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined;
      if (!entry) throw unknownCommand(topic);
      io.stdout.write((await entry.load()).help);
      return 0;
    }
    const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!entry) throw unknownCommand(command);
    const module = await entry.load();
    usage = synopsis(module.help);
    return await module.run(rest, io);
  } catch (err) {
    return reportError(io, err, { json, usage });
  }
}
