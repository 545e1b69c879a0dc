/**
 * `wasi:filesystem/*`: preopened host directories, each at a guest path, read-only unless granted
 * `rw`; walked by `path-walker.ts` so no path leaves its mount. Closed: no preopens, every path fails.
 *
 * Manifest: `"fs": [{ "host": "./data", "guest": "/data", "mode": "ro" }]`. Flag:
 * `--dir <host>::<guest>[:ro|:rw]`. Policy: `"fs": { "roots": ["/srv/data"], "write": false }`.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { beyondPolicy, type Capability, flagError, grantInvalid } from '../capability.js';
import { guestPathSchema } from '../guest-path.js';

/** One mount as a manifest writes it. */
export interface MountSection {
  readonly host: string;
  readonly guest: string;
  readonly mode: 'ro' | 'rw';
}

/** The filesystem's key of a `capabilities` section. */
export interface FilesystemSection {
  readonly fs?: readonly MountSection[] | undefined;
}

/** One preopened directory. */
export interface PreopenGrant {
  /** The host directory, absolute and resolved (no symlinks). */
  readonly host: string;
  /** The path the guest sees it under, absolute (`/data`). */
  readonly guest: string;
  /** Every write (create, write, truncate, rename, unlink, mkdir, set-times) is refused. */
  readonly readOnly: boolean;
}

/** The guest's preopens. */
export interface FilesystemGrant {
  readonly wasi: {
    /** Preopened directories; none by default. */
    readonly preopens: readonly PreopenGrant[];
  };
}

/** `policy.fs`, resolved. */
export interface FilesystemBound {
  /** Real paths a mount must be at or under; null: anywhere. */
  readonly fsRoots: readonly string[] | null;
  /** Whether a mount may be `rw`. */
  readonly fsWrite: boolean;
}

/** Whether `dir` (a real path) is one of the policy's fs roots or inside one. */
export function insideFsRoots(policy: FilesystemBound, dir: string): boolean {
  if (!policy.fsRoots) return true;
  return policy.fsRoots.some((root) => {
    const rel = relative(root, dir);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
}

/** `--dir ./data::/data:ro` → a mount. */
function parseDir(text: string): MountSection {
  const sep = text.indexOf('::');
  if (sep <= 0) throw flagError('--dir', `"${text}" must be <host-dir>::<guest-dir>[:ro|:rw], e.g. ./data::/data:ro`);
  let guest = text.slice(sep + 2);
  let mode: 'ro' | 'rw' = 'ro';
  const suffix = /:(ro|rw)$/.exec(guest);
  if (suffix) {
    mode = suffix[1] as 'ro' | 'rw';
    guest = guest.slice(0, -3);
  }
  return { host: text.slice(0, sep), guest, mode };
}

const guestKey = (guest: string): string => guest.replace(/\/+$/, '') || '/';

export const filesystemCapability: Capability<
  FilesystemSection,
  FilesystemGrant,
  FilesystemBound,
  { roots?: string[] | undefined; write?: boolean | undefined }
> = {
  name: 'filesystem',
  interfaces: ['wasi:filesystem/*'],
  withoutGrant: 'no preopened directories: every path fails',
  grantFlag: '--dir <host-dir>::<guest-dir>[:ro|:rw]',
  grantManifest: '"fs": [{ "host": "./data", "guest": "/data", "mode": "ro" }]',
  manifest: {
    shape: ({ z }) => ({
      fs: z
        .array(
          z.strictObject({
            host: z
              .string()
              .min(1)
              .max(4096)
              .refine((p) => !p.includes('\0'), 'must not contain NUL')
              .describe("The host folder to mount; a relative path starts at the manifest's folder"),
            guest: guestPathSchema(z).describe('Where the guest sees it: an absolute guest path such as /data'),
            mode: z.enum(['ro', 'rw']).default('ro').describe('ro: read only (the default); rw: the guest may also write'),
          }),
        )
        .max(64)
        .optional()
        .describe('Host folders the guest may open, each mounted at a guest path (flag: --dir host::guest[:ro|rw])'),
    }),
    check(section) {
      const guests = (section.fs ?? []).map((m) => guestKey(m.guest));
      const dup = guests.find((g, i) => guests.indexOf(g) !== i);
      return dup ? `capabilities.fs: two mounts at guest path ${dup}` : null;
    },
    absolute: (section, baseDir) => (section.fs ? { fs: section.fs.map((m) => ({ ...m, host: resolve(baseDir, m.host) })) } : {}),
    merge(base, extra) {
      if (!base.fs && !extra.fs) return {};
      return { fs: [...(base.fs ?? []).filter((m) => !extra.fs?.some((e) => e.guest === m.guest)), ...(extra.fs ?? [])] };
    },
  },
  flags: [
    {
      name: 'dir',
      multiple: true,
      usage: '--dir <host>::<guest>[:ro|:rw]',
      helpRank: 1,
      key: 'fs',
      help: ['preopen a host directory at a guest path (repeatable; default ro)'],
      toSection: (values) => ({ fs: values.map(parseDir) }),
    },
  ],
  policy: {
    key: 'fs',
    schema: ({ z }) =>
      z.strictObject({
        roots: z
          .array(z.string().min(1).max(4096))
          .max(256)
          .optional()
          .describe("Host folders a grant's mounts must lie in (relative to the config file); none: anywhere"),
        write: z.boolean().optional().describe('Whether any mount may be rw (default true)'),
      }),
    bound(section, ctx) {
      const roots = section?.roots?.map((root) => {
        try {
          return realpathSync(resolve(ctx.baseDir, root));
        } catch {
          throw ctx.invalid('policy.fs.roots', `${root} does not exist`);
        }
      });
      return { fsRoots: roots ?? null, fsWrite: section?.write ?? true };
    },
    open: { fsRoots: null, fsWrite: true },
  },
  closed: () => ({ wasi: { preopens: [] } }),
  resolve(section, source, policy) {
    const preopens = (section.fs ?? []).map((mount) => {
      const wanted = resolve(source.baseDir, mount.host);
      let host: string;
      try {
        host = realpathSync(wanted);
      } catch {
        throw grantInvalid(source, `capabilities.fs: host directory ${wanted} does not exist`);
      }
      if (!statSync(host).isDirectory()) throw grantInvalid(source, `capabilities.fs: ${wanted} is not a directory`);
      const request = `${mount.host} → ${mount.guest} (${mount.mode})`;
      if (!insideFsRoots(policy, host)) throw beyondPolicy(policy, 'filesystem', request, 'policy.fs.roots');
      if (mount.mode === 'rw' && !policy.fsWrite) throw beyondPolicy(policy, 'filesystem', request, 'policy.fs.write');
      return { host, guest: guestKey(mount.guest), readOnly: mount.mode === 'ro' };
    });
    return { wasi: { preopens } };
  },
  diff: (section) => ({ grants: (section.fs ?? []).map((m) => `${m.guest} ← ${m.host} (${m.mode})`) }),
  // preview2-shim's file streams block the thread on the host's disk.
  blocksThread: (grants) => grants.wasi.preopens.length > 0,
  loadImports: async () => (await import('./imports.js')).imports,
};
