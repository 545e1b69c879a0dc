/**
 * `wasi:filesystem/types` and `wasi:filesystem/preopens` for one instance, built from its
 * preopen grants. PLACEHOLDER: no preopens are given yet (the escape-proof implementation
 * replaces this file).
 */
import * as shim from '@bytecodealliance/preview2-shim';
import type { PreopenGrant } from '../grants.js';

interface NodeFilesystemShim {
  createFilesystem(config: { preopens: Record<string, string> }): { types: unknown; preopens: unknown };
}

/** The filesystem part of an instance's WASI imports. */
export function createFilesystem(preopens: readonly PreopenGrant[]): { types: unknown; preopens: unknown } {
  void preopens;
  return (shim as unknown as { filesystem: NodeFilesystemShim }).filesystem.createFilesystem({ preopens: {} });
}
