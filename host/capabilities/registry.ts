/**
 * Every capability this host provides, in the order the catalog, `lnano inspect`, the docs table,
 * the manifest's `capabilities` section, the operator policy and the grant flags list them.
 * Adding a capability is adding its folder (see `capability.ts`) and one line here.
 */
import type { Capability, GrantSlice } from './capability.js';
import { clocksCapability } from './clocks/capability.js';
import { configCapability } from './config/capability.js';
import { environmentCapability } from './environment/capability.js';
import { eventsCapability } from './events/capability.js';
import { exitCapability } from './exit/capability.js';
import { filesystemCapability } from './filesystem/capability.js';
import { httpCapability } from './http/capability.js';
import { ioCapability } from './io/capability.js';
import { kvCapability } from './kv/capability.js';
import { llmCapability } from './llm/capability.js';
import { logCapability } from './log/capability.js';
import { metricsCapability } from './metrics/capability.js';
import { pluginTypesCapability } from './plugin-types/capability.js';
import { randomCapability } from './random/capability.js';
import { socketsCapability } from './sockets/capability.js';
import { stdioCapability } from './stdio/capability.js';

/** The registered capabilities, each with its own types (see `SectionOf`, `GrantOf`, `BoundOf`). */
export const CAPABILITY_REGISTRY = [
  environmentCapability,
  exitCapability,
  stdioCapability,
  clocksCapability,
  randomCapability,
  ioCapability,
  filesystemCapability,
  socketsCapability,
  httpCapability,
  logCapability,
  configCapability,
  kvCapability,
  metricsCapability,
  eventsCapability,
  llmCapability,
  pluginTypesCapability,
] as const;

/** The registered capabilities, for code that treats them alike. */
export const REGISTERED: readonly Capability[] = CAPABILITY_REGISTRY;

type Registered = (typeof CAPABILITY_REGISTRY)[number];
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

type SectionOf<C> = C extends Capability<infer S, infer _G, infer _B, infer _P> ? S : never;
type GrantOf<C> = C extends Capability<infer _S, infer G extends GrantSlice, infer _B, infer _P> ? G : never;
type BoundOf<C> = C extends Capability<infer _S, infer _G, infer B, infer _P> ? B : never;

/** The keys of a `capabilities` section every registered capability owns. */
export type RegisteredSection = UnionToIntersection<SectionOf<Registered>>;
/** The parts of an instance's grants every registered capability adds. */
export type RegisteredGrant = UnionToIntersection<GrantOf<Registered>>;
/** The parts of the resolved operator policy every registered capability adds. */
export type RegisteredBound = UnionToIntersection<BoundOf<Registered>>;
