/** `wasi:http/types` and the allow-listed `wasi:http/outgoing-handler`, built inside the worker. */
import type { ImportBuilder } from '../capability.js';
import { nodeShim } from '../preview2-shim.js';
import type { HttpCapabilityGrant } from './capability.js';
import { outgoingHandler } from './http-outgoing.js';

export const imports: ImportBuilder<HttpCapabilityGrant> = (grants, bridge) => ({
  'wasi:http/types': nodeShim.http.types,
  'wasi:http/outgoing-handler': outgoingHandler(grants.wasi.http, bridge),
});
