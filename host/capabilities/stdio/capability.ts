/**
 * `wasi:cli/stdin`, `stdout`, `stderr` and `terminal-*`. Stdin is closed (at end of stream) unless
 * bytes are given (`lnano run --stdin`); stdout and stderr go to the host with each write (see
 * `stdio-streams.ts`); there is no terminal.
 */
import type { Capability } from '../capability.js';

/** What the guest's stdin holds. */
export interface StdioGrant {
  readonly wasi: {
    /** The bytes the guest reads from stdin; null: stdin is at end of stream. */
    readonly stdin: Uint8Array | null;
  };
}

export const stdioCapability: Capability<object, StdioGrant> = {
  name: 'stdio',
  interfaces: ['wasi:cli/stdin', 'wasi:cli/stdout', 'wasi:cli/stderr', 'wasi:cli/terminal-*'],
  withoutGrant:
    "stdin at end of stream; stdout/stderr: with `lnano serve` into the host log, rate-limited per instance; with `lnano run` the command's own stdout/stderr, every byte",
  grantFlag: '--stdin <file|->',
  grantManifest: null,
  flags: [
    // Read by `stdinFromFlags` (host/cli/grant-flags.ts): the bytes go to `GrantSource.stdin`.
    {
      name: 'stdin',
      multiple: false,
      usage: '--stdin <file|->',
      helpRank: 5,
      help: ["what the guest reads on stdin (- for this command's stdin; default: closed)"],
    },
  ],
  closed: () => ({ wasi: { stdin: null } }),
  resolve: (_section, source) => ({ wasi: { stdin: source.stdin ?? null } }),
  loadImports: async () => (await import('./imports.js')).imports,
};
