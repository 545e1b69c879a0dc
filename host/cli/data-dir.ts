import { resolve } from 'node:path';

/** The data directory: `--data-dir`, else `LNANO_DATA_DIR`, else `./.lnano` (the embedded default). */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  return resolve(cwd, flag ?? env.LNANO_DATA_DIR ?? '.lnano');
}

/** Where the transpile cache lives inside a data directory. */
export function transpileCacheDir(dataDir: string): string {
  return resolve(dataDir, 'cache', 'transpile');
}
