/**
 * `wasi:cli/exit`: a guest's exit ends only its call, reported as the call's result
 * (`sandbox/guest-exit.ts`), never `process.exit`. Nothing to grant.
 */
import { guestExit } from '../../sandbox/guest-exit.js';
import type { Capability } from '../capability.js';

export const exitCapability: Capability = {
  name: 'exit',
  interfaces: ['wasi:cli/exit'],
  withoutGrant: 'exit ends only the guest call, reported as its result',
  grantFlag: null,
  grantManifest: null,
  imports: () => ({
    'wasi:cli/exit': {
      exit(status: { tag: 'ok' | 'err' }): never {
        throw guestExit(status.tag === 'err' ? 1 : 0);
      },
      exitWithCode(code: number): never {
        throw guestExit(code);
      },
    },
  }),
};
