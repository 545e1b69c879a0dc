/** `wasi:filesystem/*` over the instance's preopens, built inside the worker. */
import type { ImportBuilder } from '../capability.js';
import type { FilesystemGrant } from './capability.js';
import { createFilesystem } from './wasi-filesystem.js';

export const imports: ImportBuilder<FilesystemGrant> = (grants) => {
  const fs = createFilesystem(grants.wasi.preopens);
  return { 'wasi:filesystem/types': fs.types, 'wasi:filesystem/preopens': fs.preopens };
};
