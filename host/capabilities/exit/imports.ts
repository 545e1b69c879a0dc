/** `wasi:cli/exit`, built inside the worker: an exit unwinds the guest call, never `process.exit`. */
import { guestExit } from '../../sandbox/guest-exit.js';
import type { ImportBuilder } from '../capability.js';

export const imports: ImportBuilder = () => ({
  'wasi:cli/exit': {
    exit(status: { tag: 'ok' | 'err' }): never {
      throw guestExit(status.tag === 'err' ? 1 : 0);
    },
    exitWithCode(code: number): never {
      throw guestExit(code);
    },
  },
});
