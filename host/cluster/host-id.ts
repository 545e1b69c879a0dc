/**
 * This host's id in a cluster: `cluster.hostId` when configured, else a stable id generated on
 * first start into the data dir (file `host-id`, mode 0600), so a restart rejoins as the same host.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HOST_ID } from '../config/cluster-keys.js';
import { LnError } from '../errors/ln-error.js';
import { PRIVATE_FILE_MODE } from '../support/private-files.js';

/** The file in the data dir holding the generated id. */
export const HOST_ID_FILE = 'host-id';

/**
 * The configured id, else the one stored in `dataDir`, else a new one (`<hostname>-<6 hex>`,
 * written there).
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` when the stored file holds something that is not an id
 */
export function resolveHostId(configured: string | null, dataDir: string): string {
  if (configured !== null) return configured;
  const file = join(dataDir, HOST_ID_FILE);
  let stored: string | null = null;
  try {
    stored = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (stored !== null) {
    if (!new RegExp(HOST_ID).test(stored))
      throw new LnError('LN_ERR_CONFIG_INVALID', { key: 'cluster.hostId', source: file, reason: 'the stored host id is not 1-64 of A-Z a-z 0-9 - _' });
    return stored;
  }
  const base = hostname()
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 40);
  const id = `${base || 'host'}-${randomBytes(3).toString('hex')}`;
  writeFileSync(file, `${id}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  return id;
}
