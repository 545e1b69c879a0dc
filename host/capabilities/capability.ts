/**
 * What a capability is: one module with one lifecycle (spin's `Factor`), from the manifest key a
 * user writes to the imports its guest sees. Each capability lives in its own folder under
 * `host/capabilities/` and is listed once in `registry.ts`; everything that spans capabilities
 * (the `capabilities` section's schema, the operator policy, grant resolution, the capability
 * diff, the catalog `lnano inspect` prints, the grant flags of `lnano run`, the linker, the
 * routing of guest notifications) is derived from that list.
 *
 * The lifecycle, in the order a grant lives it:
 * 1. `manifest`: the capability's keys of a manifest's `capabilities` section (schema, cross-key
 *    check, how flags merge into a manifest) — pure validation, so `inspect` can run it;
 * 2. `flags`: the `lnano run` flags that write those keys (data: name, help, the section they
 *    build); `host/cli/grant-flags.ts` stays the only reader of argv;
 * 3. `policy`: its part of the operator policy (`"policy": { "<key>": … }`) and the bound it
 *    resolves to, `open` when no policy is configured;
 * 4. `closed` / `resolve`: its part of an instance's grants, closed by default, resolved from a
 *    section under the policy (structured-cloneable: it crosses into the worker);
 * 5. `diff`: what a grant of it means to a person, for the deploy approval;
 * 6. `loadImports`: inside the instance's worker, the import object of its interfaces (its
 *    folder's `imports.ts`, loaded only there).
 * Every part but the catalog data is optional: `clocks` is only a catalog entry and an import.
 */
import type { z } from 'zod';
import { LnError } from '../errors/ln-error.js';
import type { GuestLogQueue } from '../log/guest-log-queue.js';
import type { HostBridge } from '../sandbox/protocol.js';
import type { KvNamespaceOwner } from './kv/kv-ownership.js';

/** zod's `z`, as the schema builders receive it (loaded on first use: see `support/schema.ts`). */
export type Zod = typeof z;

/**
 * What a capability builds its schemas with, handed in by the aggregators so that a capability
 * module (which the worker loads for its imports) does not load the schema support itself.
 */
export interface SchemaKit {
  readonly z: Zod;
  /** A size: `"64MiB"` or a number of bytes (`support/schema.ts`). */
  readonly size: z.ZodType<string | number>;
  /** A duration: `"500ms"` or a number of milliseconds. */
  readonly duration: z.ZodType<string | number>;
}

/** A key/value pair as WIT's `tuple<string, string>` surfaces it in JS. */
export type Pair = readonly [string, string];

/** The grants of every instance before any capability adds its part. */
export interface BaseGrants {
  readonly wasi: object;
  readonly plugin: {
    /** Who the guest is, for labels on its metrics and log lines (the component's name). */
    readonly component: string;
  };
}

/** The part of an instance's grants one capability adds (on the WASI side, the plugin side or both). */
export interface GrantSlice {
  readonly wasi?: object;
  readonly plugin?: object;
}

/** What the operator policy holds besides the capabilities' own bounds. */
export interface PolicyBase {
  /** Where it came from, for error messages (`/etc/lnano.json`, or `built-in defaults`). */
  readonly source: string;
}

/** Everything besides the section and the policy that resolving grants needs. */
export interface GrantSource {
  /** The component's name: argv0, the label of its metrics, the default kv namespace. */
  readonly name: string;
  /** The version being resolved (a deploy, a restore), for the labels of what its grants count; absent: `lnano run`. */
  readonly version?: string;
  /** Where relative `fs` host paths start (the manifest's folder, or the working directory). */
  readonly baseDir: string;
  /** The data dir; the kv database lives there. */
  readonly dataDir: string;
  /** Where the section came from (a manifest path, or `command line`), for errors. */
  readonly source: string;
  /** Guest arguments after argv0. */
  readonly args?: readonly string[];
  /** The manifest's config values. */
  readonly config?: Readonly<Record<string, string>>;
  /** Bytes the guest reads on stdin; none: closed. */
  readonly stdin?: Uint8Array | null;
  /**
   * File URL of an ES module resolving the host names of outgoing HTTP requests (default export
   * `(hostname) => Promise<Array<{ address, family }>>`); none: the system resolver.
   */
  readonly resolver?: string;
}

/** The capability's keys of a manifest's `capabilities` section. */
export interface ManifestPart<Section extends object> {
  /**
   * The zod schema of each key the capability owns (each `.optional()`); the section is a strict
   * object of every capability's keys, in registry order.
   */
  shape(kit: SchemaKit): { readonly [K in keyof Section]-?: z.ZodType<Section[K]> };
  /** What is wrong across the capability's keys (`two mounts at guest path /data`), or null. */
  check?(section: Section): string | null;
  /** `extra` (e.g. CLI flags) added to and overriding `base` (e.g. a manifest). */
  merge(base: Section, extra: Section): Section;
  /**
   * The keys with every host path made absolute against `baseDir` (the manifest's folder, the
   * command's working directory); absent: the capability names no host paths.
   */
  absolute?(section: Section, baseDir: string): Section;
}

/** Where a grant flag's values are read against. */
export interface FlagContext {
  /** The host's environment (`--env K` passes its value). */
  readonly env: NodeJS.ProcessEnv;
  /** The working directory relative host paths start from. */
  readonly cwd: string;
}

/**
 * One `lnano run` flag of a capability, as data. `host/cli/grant-flags.ts` parses argv (every
 * grant flag is a string option) and hands each flag's values here.
 */
export interface GrantFlag<Section extends object> {
  /** The option's name without `--`, e.g. `allow-http`. */
  readonly name: string;
  /** Whether it may be repeated (the values are kept in order); otherwise the last one wins. */
  readonly multiple: boolean;
  /** Its synopsis in the help, e.g. `--kv <namespace>`. */
  readonly usage: string;
  /** Its help lines (wrapped by hand, without the indent). */
  readonly help: readonly string[];
  /** Where its lines sit among the grant flags of `lnano run --help` (ascending; ties keep registry order). */
  readonly helpRank: number;
  /**
   * The section the values ask for; errors in it are reported naming the flag (its `key`).
   * Absent: the flag feeds resolution another way (`--stdin`, `--plugin-config`; see grant-flags.ts).
   */
  toSection?(values: readonly string[], ctx: FlagContext): Section;
  /** The manifest key `toSection` writes (`fs` for `--dir`), so schema errors name the flag. */
  readonly key?: keyof Section & string;
}

/** How a capability's part of the operator policy is validated and resolved. */
export interface PolicyPart<PolicySection, Bound extends object> {
  /** Its key under `policy` (`fs`, `http`, …). */
  readonly key: string;
  /** The schema of that key's value (made optional by the caller). */
  schema(kit: SchemaKit): z.ZodType<PolicySection>;
  /**
   * The resolved bound (paths real, sizes in bytes) of a validated value, or of none.
   *
   * @throws LnError `LN_ERR_CONFIG_INVALID` (through `ctx.invalid`) naming the policy key
   */
  bound(section: PolicySection | undefined, ctx: PolicyContext): Bound;
  /** The bound without any policy: everything the grant schemas accept. */
  readonly open: Bound;
}

/** What resolving a policy section needs. */
export interface PolicyContext {
  /** The config file's name. */
  readonly source: string;
  /** Where relative paths start. */
  readonly baseDir: string;
  /** The error for a bad value at `key` (`policy.fs.roots`). */
  invalid(key: string, reason: string): LnError;
}

/** What the capability diff knows besides the two sections. */
export interface DiffContext {
  /** Who owns the candidate's kv namespace (`checkKvNamespace`), so its line can say whose it is. */
  readonly kv?: KvNamespaceOwner | undefined;
}

/** A section's grants, for people and the capability diff. */
export interface DiffItems {
  /** Each grant, one line each (`api.example.com:443`); added or removed as a whole. */
  readonly grants?: readonly string[];
  /** Limits: a raise is an addition, a lowering a removal (while the capability stays granted). */
  readonly amounts?: ReadonlyArray<{ readonly name: string; readonly value: number; readonly text: string }>;
  /** Named values whose change needs no approval (`~ environment: LEVEL (new value)`). */
  readonly values?: readonly Pair[];
}

/**
 * Inside the instance's worker: the imports of a capability's interfaces (keys unversioned, as jco
 * expects), built from the instance's grants. Must not touch anything outside the worker but `bridge`.
 */
export type ImportBuilder<Grant extends GrantSlice = GrantSlice> = {
  // Method syntax (bivariant), so a builder of one capability's grant is an `ImportBuilder` of any grant.
  build(grants: Grant & BaseGrants, bridge: HostBridge): Record<string, unknown>;
}['build'];

/** Handles a guest notification of one topic, into the version's guest log queue. */
export type NotificationHandler = (lines: GuestLogQueue, payload: unknown) => void;

/**
 * One capability. `Section`: its keys of the manifest's `capabilities` section; `Grant`: its part
 * of an instance's grants; `Bound`: its part of the resolved operator policy; `PolicySection`:
 * the validated value of its policy key.
 */
export interface Capability<Section extends object = object, Grant extends GrantSlice = GrantSlice, Bound extends object = object, PolicySection = unknown> {
  /** The name users see and `policy.deny` lists, e.g. `outgoing HTTP`. */
  readonly name: string;
  /** Interface names without version; a trailing `*` matches a prefix (`wasi:clocks/*`). */
  readonly interfaces: readonly string[];
  /** What the guest sees when nothing is granted. */
  readonly withoutGrant: string;
  /** How to grant it on the command line (as the catalog shows it), or null if there is nothing to grant. */
  readonly grantFlag: string | null;
  /** How to grant it in a manifest (as the catalog shows it), or null. */
  readonly grantManifest: string | null;
  readonly manifest?: ManifestPart<Section>;
  readonly flags?: ReadonlyArray<GrantFlag<Section>>;
  readonly policy?: PolicyPart<PolicySection, Bound>;
  /** Its part of the grants when nothing is granted (deny by default). */
  closed?(component: string): Grant;
  /**
   * Its part of the grants a section asks for, checked against the policy.
   *
   * @throws LnError `LN_ERR_CAP_POLICY` (see `beyondPolicy`) for a grant beyond the policy,
   *   `LN_ERR_MANIFEST_INVALID` / `LN_ERR_CONFIG_INVALID` (see `grantInvalid`) for one that cannot be resolved
   */
  resolve?(section: Section, source: GrantSource, policy: Bound & PolicyBase): Grant;
  /** What a section grants, for the capability diff (the lines are named by `name`). */
  diff?(section: Section, ctx: DiffContext): DiffItems;
  /** Whether these grants let the guest block its thread (the instance then gets its own worker). */
  blocksThread?(grants: Grant): boolean;
  /**
   * Loads the builder of its imports (its folder's `imports.ts`). Only the linker, inside the
   * instance's worker, calls it: the host side never loads preview2-shim and the other modules the
   * imports need (`lnano inspect`, the CLI's flags and the main thread stay light).
   */
  loadImports?(): Promise<ImportBuilder<Grant>>;
  /** Handlers of the guest notifications (`bridge.notify` topics) its imports send. */
  readonly notifications?: Readonly<Record<string, NotificationHandler>>;
}

/** Refusal of a grant beyond the policy. */
export function beyondPolicy(policy: PolicyBase, capability: string, request: string, line: string): LnError {
  return new LnError('LN_ERR_CAP_POLICY', { capability, request, policy: `${line} in ${policy.source}` });
}

/** A grant that cannot be resolved (a missing directory): named by its manifest, or as a flag. */
export function grantInvalid(source: GrantSource, reason: string): LnError {
  return source.source === 'command line'
    ? new LnError('LN_ERR_CONFIG_INVALID', { key: 'grant', source: source.source, reason })
    : new LnError('LN_ERR_MANIFEST_INVALID', { file: source.source, reason });
}

/** A bad grant flag. */
export function flagError(flag: string, reason: string): LnError {
  return new LnError('LN_ERR_CONFIG_INVALID', { key: flag, source: 'command line', reason });
}

/** Entries sorted by key (code-unit order), as grants hold them. */
export function sortedPairs(record: Readonly<Record<string, string>> | undefined): Array<[string, string]> {
  return Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
}
