// A linker module (see host/sandbox/protocol.ts `LinkerSpec`) for backstop tests: the instance's
// imports are the real ones built from its grants, except that `wasi:cli/environment`'s
// `get-environment` never returns (a host call stuck in a busy loop, where no deadline check in the
// guest can run). Only the worker's backstop can stop a guest that calls it.
import { link as realLink } from '../../dist/host/capabilities/linker.js';

export function link(config, bridge) {
  const imports = realLink(config, bridge);
  const environment = imports['wasi:cli/environment'];
  return {
    ...imports,
    'wasi:cli/environment': {
      ...environment,
      getEnvironment() {
        for (;;) {
          /* stuck in the host call */
        }
      },
    },
  };
}
