import { describeOptions, parseCommandArgs, usageError } from '../args.js';
import type { CliIo } from '../cli-io.js';
import { COMMANDS } from '../command-table.js';
import { type CompletionCommand, completionFlags, completionScript, SHELLS, type Shell } from '../completion-script.js';

export const COMPLETION_HELP = `Usage: lnano completion <bash|zsh|fish>

Prints a shell completion script for commands, subcommands, flags and file arguments, generated
from the commands' own tables (a new flag completes without editing any script).

  bash   source <(lnano completion bash)           in ~/.bashrc, or once:
         lnano completion bash > ~/.local/share/bash-completion/completions/lnano
  zsh    source <(lnano completion zsh)            in ~/.zshrc (after compinit), or once:
         lnano completion zsh > "\${fpath[1]}/_lnano"
  fish   lnano completion fish > ~/.config/fish/completions/lnano.fish

Writing the script to a file once is faster for every new shell: generating it loads every
command to read its flags.

Options:
  -h, --help    show this help
`;

/** Every command of the table with the flags its own parser takes. */
async function describeCommands(): Promise<CompletionCommand[]> {
  const out: CompletionCommand[] = [];
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const module = await entry.load();
    const options = await describeOptions(() => module.run([], { stdout: process.stdout, stderr: process.stderr, env: {}, cwd: process.cwd() }));
    out.push({ name, summary: entry.summary, flags: completionFlags(options), args: entry.args ?? 'none' });
  }
  return out;
}

/** `lnano completion <shell>`. */
export async function completionCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs<{ help?: boolean }>('completion', argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout.write(COMPLETION_HELP);
    return 0;
  }
  const [shell, extra] = positionals;
  if (shell === undefined) throw usageError('completion', 'missing the shell: bash, zsh or fish');
  if (extra !== undefined) throw usageError('completion', `unexpected argument "${extra}"`);
  if (!(SHELLS as readonly string[]).includes(shell)) throw usageError('completion', `"${shell}" is not a shell it knows; use bash, zsh or fish`);
  io.stdout.write(completionScript(shell as Shell, 'lnano', await describeCommands()));
  return 0;
}
