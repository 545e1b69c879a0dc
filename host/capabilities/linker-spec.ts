import type { LinkerSpec } from '../sandbox/protocol.js';
import { compiledModuleUrl } from '../support/compiled-url.js';
import type { InstanceGrants } from './grants.js';

const LINKER_MODULE = compiledModuleUrl('./linker.js', import.meta.url).href;

/** The linker an instance's worker loads to build its imports from `grants`. */
export function linkerSpec(grants: InstanceGrants): LinkerSpec {
  return { module: LINKER_MODULE, config: grants };
}
