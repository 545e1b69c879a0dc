/**
 * `liquid-nano:plugin/kv`: a key-value namespace in the data dir's SQLite database
 * (`kv-database.ts`), with quotas, owned by the first component that claims it
 * (`kv-ownership.ts`). Closed: every operation fails with `error.denied`.
 *
 * Manifest: `"kv": { "namespace": "telemetry", "maxKeys": 1000, "maxTotal": "16MiB" }`. Flag:
 * `--kv <namespace>`. Policy: `"kv": { "allow": true, "maxTotal": "256MiB", "shared": { "readings": ["report"] } }`.
 */
import { join } from 'node:path';
import { parseByteSize } from '../../support/units.js';
import { beyondPolicy, type Capability } from '../capability.js';
import { KV_DATABASE_FILE, KV_NAMESPACE, kvNamespaceOf } from './kv-namespace.js';
import { describeKvOwner } from './kv-ownership.js';

/** The kv key of a `capabilities` section. */
export interface KvSection {
  readonly kv?:
    | {
        readonly namespace?: string | undefined;
        readonly maxKeys?: number | undefined;
        readonly maxKeySize?: string | number | undefined;
        readonly maxValueSize?: string | number | undefined;
        readonly maxTotal?: string | number | undefined;
      }
    | undefined;
}

/** The key-value store (`liquid-nano:plugin/kv`). */
export interface KvGrant {
  /** The namespace this component's keys live in; components never see each other's. */
  readonly namespace: string;
  /** The SQLite database file holding every namespace (in the data dir). */
  readonly path: string;
  /** Most keys in the namespace. */
  readonly maxKeys: number;
  /** Largest key, bytes (UTF-8). */
  readonly maxKeyBytes: number;
  /** Largest value, bytes. */
  readonly maxValueBytes: number;
  /** Most bytes (keys + values) in the namespace. */
  readonly maxTotalBytes: number;
}

/** The guest's key-value store. */
export interface KvCapabilityGrant {
  readonly plugin: {
    /** The key-value store; null: every operation fails with `error.denied`. */
    readonly kv: KvGrant | null;
  };
}

/** `policy.kv`, resolved. */
export interface KvBound {
  /** Whether any component may be granted kv. */
  readonly kvAllow: boolean;
  /** Ceilings of the grants' quotas (and their defaults, when lower). */
  readonly kvMax: {
    readonly maxKeys?: number | undefined;
    readonly maxKeyBytes?: number | undefined;
    readonly maxValueBytes?: number | undefined;
    readonly maxTotalBytes?: number | undefined;
  };
  /** `policy.kv.shared`: kv namespace → the components that may use it besides its owner. */
  readonly kvShared: ReadonlyMap<string, readonly string[]>;
}

/** `policy.kv` as written. */
export interface KvPolicySection {
  allow?: boolean | undefined;
  maxKeys?: number | undefined;
  maxKeySize?: string | number | undefined;
  maxValueSize?: string | number | undefined;
  maxTotal?: string | number | undefined;
  shared?: Record<string, string[]> | undefined;
}

/** Defaults of a `kv` grant's quotas. */
export const KV_DEFAULTS = Object.freeze({ maxKeys: 10_000, maxKeyBytes: 1024, maxValueBytes: 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024 });

/** The quota keys of a section, with the grant field each sets. */
const QUOTAS = [
  ['maxKeys', 'maxKeys'],
  ['maxKeyBytes', 'maxKeySize'],
  ['maxValueBytes', 'maxValueSize'],
  ['maxTotalBytes', 'maxTotal'],
] as const;

export const kvCapability: Capability<KvSection, KvCapabilityGrant, KvBound, KvPolicySection> = {
  name: 'key-value',
  interfaces: ['liquid-nano:plugin/kv'],
  withoutGrant: 'every operation fails with error.denied',
  grantFlag: '--kv <namespace>',
  grantManifest: '"kv": { "namespace": "name" }',
  manifest: {
    shape: ({ z, size }) => ({
      kv: z
        .strictObject({
          namespace: z
            .string()
            .regex(KV_NAMESPACE, 'must be 1-64 of a-z 0-9 . _ - (starting with a letter or digit)')
            .optional()
            .describe("The store's namespace (default: the plugin's name); it belongs to the first component that claims it"),
          maxKeys: z.number().int().positive().max(100_000_000).optional().describe('Most keys in the namespace'),
          maxKeySize: size.optional().describe('Largest key, e.g. 1KiB'),
          maxValueSize: size.optional().describe('Largest value, e.g. 1MiB'),
          maxTotal: size.optional().describe('Most bytes of keys and values in the namespace, e.g. 16MiB'),
        })
        .optional()
        .describe('A key-value store, persisted in the data dir (flag: --kv <namespace>)'),
    }),
    merge: (base, extra) => (base.kv || extra.kv ? { kv: { ...base.kv, ...extra.kv } } : {}),
  },
  flags: [
    {
      name: 'kv',
      multiple: false,
      usage: '--kv <namespace>',
      helpRank: 3,
      key: 'kv',
      help: ['a key-value store namespace (persisted in the data dir)'],
      toSection: (values) => ({ kv: { namespace: values[values.length - 1]! } }),
    },
  ],
  policy: {
    key: 'kv',
    schema: ({ z, size }) =>
      z.strictObject({
        allow: z.boolean().optional().describe('Whether any plugin may have a kv store (default true)'),
        maxKeys: z.number().int().positive().optional().describe("Most keys a grant's namespace may hold"),
        maxKeySize: size.optional().describe('Largest key a grant may allow'),
        maxValueSize: size.optional().describe('Largest value a grant may allow'),
        maxTotal: size.optional().describe('Most bytes a namespace may hold'),
        /** Namespace → the components besides its owner that may use it (see `kv-ownership.ts`). */
        shared: z
          .record(z.string().regex(KV_NAMESPACE, 'is not a kv namespace (1-64 of a-z 0-9 . _ -)'), z.array(z.string().min(1).max(128)).min(1).max(1024))
          .optional()
          .describe('Namespace to the components, besides its owner, that may use it'),
      }),
    bound(section, ctx) {
      const bytes = (v: string | number | undefined, key: string): number | undefined =>
        v === undefined ? undefined : parseByteSize(v, `policy.kv.${key}`, ctx.source);
      return {
        kvAllow: section?.allow ?? true,
        kvMax: {
          maxKeys: section?.maxKeys,
          maxKeyBytes: bytes(section?.maxKeySize, 'maxKeySize'),
          maxValueBytes: bytes(section?.maxValueSize, 'maxValueSize'),
          maxTotalBytes: bytes(section?.maxTotal, 'maxTotal'),
        },
        kvShared: new Map(Object.entries(section?.shared ?? {})),
      };
    },
    open: { kvAllow: true, kvMax: {}, kvShared: new Map() },
  },
  closed: () => ({ plugin: { kv: null } }),
  resolve(section, source, policy) {
    const kv = section.kv;
    if (!kv) return { plugin: { kv: null } };
    const namespace = kvNamespaceOf(kv, source.name);
    if (!policy.kvAllow) throw beyondPolicy(policy, 'key-value', namespace, 'policy.kv.allow');
    const d = KV_DEFAULTS;
    const max = policy.kvMax;
    const bytes = (v: string | number | undefined, key: string, fallback: number): number =>
      v === undefined ? fallback : parseByteSize(v, `capabilities.kv.${key}`, source.source);
    const grant: KvGrant = {
      namespace,
      path: join(source.dataDir, KV_DATABASE_FILE),
      maxKeys: kv.maxKeys ?? Math.min(d.maxKeys, max.maxKeys ?? Infinity),
      maxKeyBytes: bytes(kv.maxKeySize, 'maxKeySize', Math.min(d.maxKeyBytes, max.maxKeyBytes ?? Infinity)),
      maxValueBytes: bytes(kv.maxValueSize, 'maxValueSize', Math.min(d.maxValueBytes, max.maxValueBytes ?? Infinity)),
      maxTotalBytes: bytes(kv.maxTotal, 'maxTotal', Math.min(d.maxTotalBytes, max.maxTotalBytes ?? Infinity)),
    };
    for (const [field, key] of QUOTAS) {
      const limit = max[field];
      if (limit !== undefined && grant[field] > limit) {
        throw beyondPolicy(policy, 'key-value', `${key} ${grant[field]}`, `policy.kv.${key}`);
      }
    }
    return { plugin: { kv: grant } };
  },
  diff(section, ctx) {
    const kv = section.kv;
    if (!kv) return {};
    const owner = ctx.kv;
    const namespace = kv.namespace ?? owner?.component.toLowerCase();
    const whose = owner && namespace === owner.namespace ? ` (${describeKvOwner(owner)})` : '';
    const amounts = [];
    if (kv.maxKeys !== undefined) amounts.push({ name: 'maxKeys', value: kv.maxKeys, text: String(kv.maxKeys) });
    for (const key of ['maxKeySize', 'maxValueSize', 'maxTotal'] as const) {
      const text = kv[key];
      if (text !== undefined) amounts.push({ name: key, value: parseByteSize(text, key, 'diff'), text: String(text) });
    }
    return { grants: [`namespace ${namespace ?? '(the component name)'}${whose}`], amounts };
  },
  loadImports: async () => (await import('./imports.js')).imports,
};
