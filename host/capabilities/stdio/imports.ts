/** `wasi:cli/stdin`, `stdout`, `stderr` and `terminal-*`, built inside the worker. */
import type { ImportBuilder } from '../capability.js';
import { nodeShim } from '../preview2-shim.js';
import type { StdioGrant } from './capability.js';
import { outputImports, stdinImport } from './stdio-streams.js';

export const imports: ImportBuilder<StdioGrant> = (grants, bridge) => ({
  'wasi:cli/stdin': stdinImport(grants.wasi.stdin),
  ...outputImports(bridge),
  'wasi:cli/terminal-input': nodeShim.cli.terminalInput,
  'wasi:cli/terminal-output': nodeShim.cli.terminalOutput,
  'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
  'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
  'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
});
