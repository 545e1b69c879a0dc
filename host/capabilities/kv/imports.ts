/** `liquid-nano:plugin/kv` over the instance's namespace, built inside the worker. */
import type { ImportBuilder } from '../capability.js';
import type { KvCapabilityGrant } from './capability.js';
import { kvImports } from './kv-store.js';

export const imports: ImportBuilder<KvCapabilityGrant> = (grants, bridge) => ({ 'liquid-nano:plugin/kv': kvImports(grants.plugin.kv, bridge) });
