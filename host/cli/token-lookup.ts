/**
 * Where the admin commands find the token of the host they talk to, in the order a user
 * expects: `--token`, `LNANO_ADMIN_TOKEN`, then the file `admin-token` in a data dir — the one
 * `--data-dir` or `LNANO_DATA_DIR` names, else the nearest `.lnano` folder from the working
 * directory up to the root (so `lnano deploy .` works from a plugin folder inside the project
 * whose host was started with the default data dir).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LnError } from '../errors/ln-error.js';
import { ADMIN_TOKEN_FILE } from '../server/admin-token.js';

/** A token and where it came from (named again when the host refuses it). */
export interface FoundToken {
  readonly token: string;
  /** e.g. `--token`, `LNANO_ADMIN_TOKEN`, `/home/me/project/.lnano/admin-token`. */
  readonly source: string;
}

/** The `admin-token` files to try: the named data dir's only, or each `.lnano` from `cwd` up. */
export function tokenFileCandidates(dataDirFlag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string[] {
  const named = dataDirFlag ?? env.LNANO_DATA_DIR;
  if (named !== undefined) return [join(resolve(cwd, named), ADMIN_TOKEN_FILE)];
  const out: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    out.push(join(dir, '.lnano', ADMIN_TOKEN_FILE));
    if (dirname(dir) === dir) return out;
  }
}

/**
 * Finds the admin token (see the module doc for the order).
 *
 * @throws LnError `LN_ERR_ADMIN_TOKEN_MISSING` naming every place looked at and the flags
 */
export function findAdminToken(
  flags: { readonly token?: string; readonly 'data-dir'?: string },
  io: { readonly env: NodeJS.ProcessEnv; readonly cwd: string },
  server: string,
): FoundToken {
  if (flags.token !== undefined) return { token: flags.token, source: '--token' };
  if (io.env.LNANO_ADMIN_TOKEN !== undefined) return { token: io.env.LNANO_ADMIN_TOKEN, source: 'LNANO_ADMIN_TOKEN' };
  const files = tokenFileCandidates(flags['data-dir'], io.env, io.cwd);
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (text.trim()) return { token: text.trim(), source: file };
  }
  const where = flags['data-dir'] !== undefined ? ' (--data-dir)' : io.env.LNANO_DATA_DIR !== undefined ? ' (LNANO_DATA_DIR)' : '';
  throw new LnError('LN_ERR_ADMIN_TOKEN_MISSING', {
    server,
    searched: `--token, LNANO_ADMIN_TOKEN, ${files.join(', ')}${where}`,
  });
}
