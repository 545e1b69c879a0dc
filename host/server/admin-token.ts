/**
 * The admin API's bearer token: from the host config or `LNANO_ADMIN_TOKEN`, else the file
 * `admin-token` in the data dir, generated on first start (32 random bytes, mode 0600).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LnError } from '../errors/ln-error.js';

/** The token file inside the data dir. */
export const ADMIN_TOKEN_FILE = 'admin-token';

/** Shortest token accepted from config or the environment. */
const MIN_TOKEN_LENGTH = 16;

/** Where the token came from, and the token. */
export interface AdminToken {
  readonly token: string;
  readonly source: 'config' | 'environment' | 'file' | 'generated';
  /** The token file, when it came from or went to one. */
  readonly file?: string;
}

/**
 * Resolves the admin token.
 *
 * @param configured - a token from the host config, if any
 * @throws LnError `LN_ERR_CONFIG_INVALID` for a token too short to be safe, or a token file others can read
 */
export function resolveAdminToken(dataDir: string, env: NodeJS.ProcessEnv, configured?: string): AdminToken {
  const given = configured ?? env.LNANO_ADMIN_TOKEN;
  if (given !== undefined) {
    if (given.length < MIN_TOKEN_LENGTH) {
      throw new LnError('LN_ERR_CONFIG_INVALID', {
        key: 'admin token',
        source: configured ? 'config' : 'LNANO_ADMIN_TOKEN',
        reason: `it must be at least ${MIN_TOKEN_LENGTH} characters`,
      });
    }
    return { token: given, source: configured ? 'config' : 'environment' };
  }
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  try {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new LnError('LN_ERR_CONFIG_INVALID', {
        key: 'admin token',
        source: file,
        reason: `the file is readable by others (mode ${mode.toString(8)}); chmod 600 it`,
      });
    }
    const token = readFileSync(file, 'utf8').trim();
    if (token.length < MIN_TOKEN_LENGTH)
      throw new LnError('LN_ERR_CONFIG_INVALID', {
        key: 'admin token',
        source: file,
        reason: 'the file holds no usable token; delete it to generate a new one',
      });
    return { token, source: 'file', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  // `wx`: never overwrite a token another process wrote meanwhile.
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, source: 'generated', file };
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Whether an `Authorization` header carries `token`, compared in constant time. */
export function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  return timingSafeEqual(digest(match[1]!), digest(token));
}
