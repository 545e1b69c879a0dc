/**
 * `wasi:cli/environment`: the variables, argv and initial working directory a guest sees. Closed:
 * no variables (the host's own never leak), argv0 only, no cwd.
 *
 * Manifest: `"env": { "LEVEL": "info" }`, `"cwd": "/data"`. Flags: `--env K[=V]`, `--cwd <dir>`.
 * Policy: `"env": { "allow": ["LEVEL", "APP_*"] }`.
 */
import { LnError } from '../../errors/ln-error.js';
import { beyondPolicy, type Capability, type Pair, sortedPairs } from '../capability.js';
import { guestPathSchema } from '../guest-path.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The environment's keys of a `capabilities` section. */
export interface EnvironmentSection {
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** The guest's initial working directory (`wasi:cli/environment#initial-cwd`), a guest path. */
  readonly cwd?: string | undefined;
}

/** What the guest's `wasi:cli/environment` returns. */
export interface EnvironmentGrant {
  readonly wasi: {
    /** The environment variables the guest sees; never the host's own environment. */
    readonly env: readonly Pair[];
    /** The guest's argv, argv0 first. */
    readonly args: readonly string[];
    /** The guest's initial working directory (a guest path), or none. */
    readonly cwd?: string;
  };
}

/** `policy.env`, resolved. */
export interface EnvironmentBound {
  /** Variable names (a trailing `*` matches a prefix) a grant may pass; null: any. */
  readonly envAllow: readonly string[] | null;
}

/** Whether the policy lets a grant pass the variable `name`. */
export function envAllowed(policy: EnvironmentBound, name: string): boolean {
  return !policy.envAllow || policy.envAllow.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name));
}

/**
 * `--env` values (`K=V`, or a bare `K` passing the host's value) as pairs; a later K wins.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` for a bad name or a bare K the host has not set
 */
export function parseEnvFlags(flags: readonly string[], hostEnv: NodeJS.ProcessEnv): Array<[string, string]> {
  const out = new Map<string, string>();
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const key = eq === -1 ? flag : flag.slice(0, eq);
    if (!ENV_NAME.test(key)) {
      throw new LnError('LN_ERR_CONFIG_INVALID', { key: '--env', source: 'command line', reason: `"${key}" is not a valid variable name` });
    }
    const value = eq === -1 ? hostEnv[key] : flag.slice(eq + 1);
    if (value === undefined) {
      throw new LnError('LN_ERR_CONFIG_INVALID', {
        key: '--env',
        source: 'command line',
        reason: `${key} is not set in the host environment; write --env ${key}=value`,
      });
    }
    out.set(key, value);
  }
  return [...out];
}

export const environmentCapability: Capability<EnvironmentSection, EnvironmentGrant, EnvironmentBound, { allow?: string[] | undefined }> = {
  name: 'environment',
  interfaces: ['wasi:cli/environment'],
  withoutGrant: 'no variables, argv0 only, no cwd',
  grantFlag: '--env K[=V]',
  grantManifest: '"env": { "K": "V" }',
  manifest: {
    shape: ({ z }) => ({
      env: z
        .record(z.string().regex(ENV_NAME, 'is not a valid variable name').max(256), z.string().max(65536))
        .optional()
        .describe("Environment variables the guest sees, name to value; the host's own never leak (flag: --env K[=V])"),
      cwd: guestPathSchema(z).optional().describe("The guest's initial working directory, an absolute guest path such as /data (flag: --cwd)"),
    }),
    merge(base, extra) {
      const env = base.env || extra.env ? { ...base.env, ...extra.env } : undefined;
      const cwd = extra.cwd ?? base.cwd;
      return { ...(env ? { env } : {}), ...(cwd ? { cwd } : {}) };
    },
  },
  flags: [
    {
      name: 'env',
      multiple: true,
      usage: '--env K[=V]',
      helpRank: 0,
      key: 'env',
      help: ["an environment variable (repeatable); a bare K passes the host's value"],
      toSection: (values, ctx) => ({ env: Object.fromEntries(parseEnvFlags(values, ctx.env)) }),
    },
    {
      name: 'cwd',
      multiple: false,
      usage: '--cwd <guest-dir>',
      helpRank: 6,
      key: 'cwd',
      help: ["the guest's initial working directory (default: none)"],
      toSection: (values) => ({ cwd: values[values.length - 1]! }),
    },
  ],
  policy: {
    key: 'env',
    schema: ({ z }) =>
      z.strictObject({
        allow: z
          .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'is not a variable name (a trailing * matches a prefix)'))
          .max(1024)
          .optional()
          .describe('Variable names a grant may pass (a trailing * matches a prefix); none: any'),
      }),
    bound: (section) => ({ envAllow: section?.allow ?? null }),
    open: { envAllow: null },
  },
  closed: (component) => ({ wasi: { env: [], args: [component] } }),
  resolve(section, source, policy) {
    const env = sortedPairs(section.env);
    for (const [name] of env) {
      if (!envAllowed(policy, name)) throw beyondPolicy(policy, 'environment', name, 'policy.env.allow');
    }
    return { wasi: { env, args: [source.name, ...(source.args ?? [])], ...(section.cwd ? { cwd: section.cwd } : {}) } };
  },
  diff: (section) => ({
    grants: [...Object.keys(section.env ?? {}), ...(section.cwd ? [`cwd ${section.cwd}`] : [])],
    values: Object.entries(section.env ?? {}),
  }),
  loadImports: async () => (await import('./imports.js')).imports,
};
