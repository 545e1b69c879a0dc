/**
 * Shell completion scripts for bash, zsh and fish, generated from one description of the
 * commands (`CompletionCommand`, built from the command table and each command's option spec):
 * nothing here is written per command.
 */
import type { OptionSpec } from './args.js';

/** The shells `lnano completion` writes for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** One flag of a command, for completion. */
export interface CompletionFlag {
  readonly name: string;
  readonly short?: string;
  /** Takes a value; `file`/`dir`: the value is a path and completes as one. */
  readonly value: false | 'any' | 'file' | 'dir';
}

/** One command, for completion. */
export interface CompletionCommand {
  readonly name: string;
  readonly summary: string;
  readonly flags: readonly CompletionFlag[];
  /** Positional arguments: paths, folders, fixed words, or nothing to complete. */
  readonly args: 'file' | 'dir' | readonly string[] | 'none';
}

/** Flags whose value is a file or a folder (by name, across commands). */
const FILE_FLAGS = new Set(['manifest', 'config', 'out', 'stdin']);
const DIR_FLAGS = new Set(['data-dir', 'dir', 'components', 'pipelines']);

/** The flags of an option spec, for completion. */
export function completionFlags(options: OptionSpec): CompletionFlag[] {
  return Object.entries(options).map(([name, o]) => ({
    name,
    ...(o.short ? { short: o.short } : {}),
    value: o.type === 'boolean' ? false : FILE_FLAGS.has(name) ? 'file' : DIR_FLAGS.has(name) ? 'dir' : 'any',
  }));
}

/** The completion script for `shell`. */
export function completionScript(shell: Shell, program: string, commands: readonly CompletionCommand[]): string {
  switch (shell) {
    case 'bash':
      return bashScript(program, commands);
    case 'zsh':
      return zshScript(program, commands);
    case 'fish':
      return fishScript(program, commands);
  }
}

const fn = (program: string): string => `_${program.replace(/[^A-Za-z0-9_]/g, '_')}`;
const flagWords = (c: CompletionCommand): string[] => [...c.flags.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])])];

function bashScript(program: string, commands: readonly CompletionCommand[]): string {
  const name = fn(program);
  const cases = commands.map((c) => {
    const files = c.flags.filter((f) => f.value === 'file').flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
    const dirs = c.flags.filter((f) => f.value === 'dir').flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
    const values = c.flags.filter((f) => f.value === 'any').flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
    const positional =
      c.args === 'file'
        ? 'COMPREPLY=($(compgen -f -- "$cur"))'
        : c.args === 'dir'
          ? 'COMPREPLY=($(compgen -d -- "$cur"))'
          : c.args === 'none'
            ? 'COMPREPLY=()'
            : `[[ $npos -eq 0 ]] && COMPREPLY=($(compgen -W "${c.args.join(' ')}" -- "$cur"))`;
    return `    ${c.name})
      case "$prev" in
${files.length ? `        ${files.join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;\n` : ''}${dirs.length ? `        ${dirs.join('|')}) COMPREPLY=($(compgen -d -- "$cur")); return ;;\n` : ''}${values.length ? `        ${values.join('|')}) COMPREPLY=(); return ;;\n` : ''}      esac
      if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "${flagWords(c).join(' ')}" -- "$cur"))
      else
        ${positional}
      fi
      ;;`;
  });
  return `# ${program} completion for bash. Load it in this shell:   source <(${program} completion bash)
# or for every shell:   ${program} completion bash > ~/.local/share/bash-completion/completions/${program}
${name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" npos=0 i
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ -z "$cmd" ]]; then
      [[ "\${COMP_WORDS[i]}" != -* ]] && cmd="\${COMP_WORDS[i]}"
    elif [[ "\${COMP_WORDS[i]}" != -* ]]; then
      npos=$((npos + 1))
    fi
  done
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')} help -h --help -V --version" -- "$cur"))
    return
  fi
  case "$cmd" in
    help)
      [[ $npos -eq 0 ]] && COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')} help" -- "$cur"))
      ;;
${cases.join('\n')}
  esac
}
complete -o filenames -F ${name} ${program}
`;
}

/** A single-quoted word for zsh and bash. */
const sq = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

function zshScript(program: string, commands: readonly CompletionCommand[]): string {
  const name = fn(program);
  const cases = commands.map((c) => {
    const specs = c.flags.map((f) => {
      const names = f.short ? `{-${f.short},--${f.name}}` : `--${f.name}`;
      const action = f.value === false ? '' : f.value === 'file' ? ':file:_files' : f.value === 'dir' ? ':folder:_files -/' : ':value: ';
      const repeat = f.value === false ? '' : '*';
      return f.short ? `'${repeat}'${names}'${action}'` : sq(`${repeat}${names}${action}`);
    });
    const positional =
      c.args === 'file'
        ? "'*:file:_files'"
        : c.args === 'dir'
          ? "'1:folder:_files -/'"
          : c.args === 'none'
            ? ''
            : sq(`1:${c.name === 'completion' ? 'shell' : 'subcommand'}:(${c.args.join(' ')})`);
    return `    ${c.name})\n      _arguments -s ${[...specs, positional].filter(Boolean).join(' ')}\n      ;;`;
  });
  return `#compdef ${program}
# ${program} completion for zsh. Load it in this shell:   source <(${program} completion zsh)
# or for every shell: write it as _${program} into a folder of $fpath, e.g.
#   ${program} completion zsh > "\${fpath[1]}/_${program}"
${name}() {
  local -a commands
  commands=(
${commands.map((c) => `    ${sq(`${c.name}:${c.summary}`)}`).join('\n')}
    'help:show the help of a command'
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'command' commands
    return
  fi
  local cmd=\${words[2]}
  shift 1 words
  (( CURRENT-- ))
  case $cmd in
    help)
      _describe -t commands 'command' commands
      ;;
${cases.join('\n')}
  esac
}
if [ "$funcstack[1]" = "${name}" ]; then
  ${name} "$@"
else
  compdef ${name} ${program}
fi
`;
}

/** A single-quoted word for fish. */
const fq = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishScript(program: string, commands: readonly CompletionCommand[]): string {
  const all = [...commands.map((c) => c.name), 'help'].join(' ');
  const lines = [
    `# ${program} completion for fish. Load it in this shell:   ${program} completion fish | source`,
    `# or for every shell:   ${program} completion fish > ~/.config/fish/completions/${program}.fish`,
    `complete -c ${program} -f`,
    `complete -c ${program} -n "not __fish_seen_subcommand_from ${all}" -s h -l help -d 'show the help'`,
    `complete -c ${program} -n "not __fish_seen_subcommand_from ${all}" -s V -l version -d 'print the version'`,
    ...commands.map((c) => `complete -c ${program} -n "not __fish_seen_subcommand_from ${all}" -a ${c.name} -d ${fq(c.summary)}`),
    `complete -c ${program} -n "not __fish_seen_subcommand_from ${all}" -a help -d 'show the help of a command'`,
    `complete -c ${program} -n "__fish_seen_subcommand_from help" -a ${fq(commands.map((c) => c.name).join(' '))}`,
  ];
  for (const c of commands) {
    const when = `-n "__fish_seen_subcommand_from ${c.name}"`;
    for (const f of c.flags) {
      const value = f.value === false ? '' : f.value === 'any' ? ' -x' : ' -r -F';
      lines.push(`complete -c ${program} ${when}${f.short ? ` -s ${f.short}` : ''} -l ${f.name}${value}`);
    }
    if (c.args === 'file' || c.args === 'dir') lines.push(`complete -c ${program} ${when} -F`);
    else if (c.args !== 'none') lines.push(`complete -c ${program} ${when} -a ${fq(c.args.join(' '))}`);
  }
  return `${lines.join('\n')}\n`;
}
