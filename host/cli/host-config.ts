/**
 * The host config file (`--config f`, else `LNANO_CONFIG`): for now its operator `policy`.
 * Unknown keys are refused, naming the key and the file.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LnError } from '../errors/ln-error.js';
import { OPEN_POLICY, parsePolicy, type OperatorPolicy } from '../capabilities/policy.js';
import { NO_LIMITS_POLICY, parseLimitsPolicy, type LimitsPolicy } from '../resources/limits.js';

/** What a command needs of the host config. */
export interface HostConfig {
  /** The file it came from, or null when none is configured. */
  readonly source: string | null;
  readonly policy: OperatorPolicy;
  readonly limitsPolicy: LimitsPolicy;
}

const KNOWN_KEYS = new Set(['$schema', 'policy']);

/**
 * Loads the host config: `flag`, else `LNANO_CONFIG`, else none (built-in defaults).
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the key and the file
 */
export function loadHostConfig(flag: string | undefined, io: { readonly env: NodeJS.ProcessEnv; readonly cwd: string }): HostConfig {
  const given = flag ?? io.env.LNANO_CONFIG;
  if (!given) return { source: null, policy: OPEN_POLICY, limitsPolicy: NO_LIMITS_POLICY };
  const file = resolve(io.cwd, given);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : `not readable JSON: ${(err as Error).message}`;
    throw new LnError('LN_ERR_CONFIG_INVALID', { key: '(file)', source: file, reason }, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new LnError('LN_ERR_CONFIG_INVALID', { key: '(file)', source: file, reason: 'the config is a JSON object' });
  }
  for (const key of Object.keys(value)) {
    if (!KNOWN_KEYS.has(key)) throw new LnError('LN_ERR_CONFIG_INVALID', { key, source: file, reason: `unknown key (known: ${[...KNOWN_KEYS].join(', ')})` });
  }
  const policy = parsePolicy((value as { policy?: unknown }).policy, file, dirname(file));
  return { source: file, policy, limitsPolicy: policy.limits ? parseLimitsPolicy(policy.limits, file) : NO_LIMITS_POLICY };
}
