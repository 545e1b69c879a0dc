/**
 * `wasi:http/types` (preview2-shim's, with incoming requests: `sandbox/incoming-http-types.ts`)
 * and the allow-listed `wasi:http/outgoing-handler`, built inside the worker.
 */
import { httpTypes } from '../../sandbox/incoming-http-types.js';
import type { ImportBuilder } from '../capability.js';
import type { HttpCapabilityGrant } from './capability.js';
import { outgoingHandler } from './http-outgoing.js';

export const imports: ImportBuilder<HttpCapabilityGrant> = (grants, bridge) => ({
  'wasi:http/types': httpTypes,
  'wasi:http/outgoing-handler': outgoingHandler(grants.wasi.http, bridge),
});
