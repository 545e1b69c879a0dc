import { resolve } from 'node:path';
import { Engine } from '../engine/engine.js';
import type { Logger } from '../log/logger.js';
import { ensurePrivateDir } from '../support/private-files.js';

/** The data directory: `--data-dir`, else `LNANO_DATA_DIR`, else `./.lnano` (the embedded default). */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  return resolve(cwd, flag ?? env.LNANO_DATA_DIR ?? '.lnano');
}

/** Where the transpile cache lives inside a data directory. */
export function transpileCacheDir(dataDir: string): string {
  return resolve(dataDir, 'cache', 'transpile');
}

/**
 * The engine a CLI command uses: its transpile cache in the data directory (`--data-dir`, else
 * `LNANO_DATA_DIR`, else `./.lnano`), or no disk cache with `noCache`.
 */
export function openEngine(
  dataDirFlag: string | undefined,
  io: { readonly env: NodeJS.ProcessEnv; readonly cwd: string },
  options: { readonly noCache?: boolean; readonly logger?: Logger } = {},
): Engine {
  const dataDir = resolveDataDir(dataDirFlag, io.env, io.cwd);
  // The data dir is private (0700) from its creation on, whichever command creates it.
  if (!options.noCache) ensurePrivateDir(dataDir);
  const cacheDir = options.noCache ? undefined : transpileCacheDir(dataDir);
  return new Engine({ ...(cacheDir ? { cacheDir } : {}), ...(options.logger ? { logger: options.logger } : {}) });
}
