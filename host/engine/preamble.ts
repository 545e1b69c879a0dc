import { LnError } from '../errors/ln-error.js';

/** The component preamble: magic `\0asm`, version 0x0d, layer 1. */
const MAGIC = [0x00, 0x61, 0x73, 0x6d] as const;
const COMPONENT_VERSION = 0x0d;
const COMPONENT_LAYER = 0x01;

/**
 * Checks the bytes' size and preamble before anything expensive runs on them.
 *
 * @param bytes - the candidate component
 * @param subject - how to name it in errors (a file name or `name@version`)
 * @param maxBytes - the size limit
 * @throws LnError `LN_ERR_LOAD_EMPTY`, `LN_ERR_LOAD_TOO_LARGE`, `LN_ERR_LOAD_NOT_WASM`,
 *   `LN_ERR_LOAD_NOT_COMPONENT` (a core module) or `LN_ERR_LOAD_UNSUPPORTED_VERSION`
 */
export function checkPreamble(bytes: Uint8Array, subject: string, maxBytes: number): void {
  if (bytes.length === 0) throw new LnError('LN_ERR_LOAD_EMPTY', { subject });
  if (bytes.length > maxBytes) {
    throw new LnError('LN_ERR_LOAD_TOO_LARGE', { subject, size: bytes.length, limit: maxBytes });
  }
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    const reason =
      bytes.length < 8 && MAGIC.every((b, i) => i >= bytes.length || bytes[i] === b)
        ? `the file ends after ${bytes.length} bytes, inside the 8-byte header`
        : 'it does not start with the WebAssembly magic bytes \\0asm';
    throw new LnError('LN_ERR_LOAD_NOT_WASM', { subject, reason });
  }
  const version = bytes[4]! | (bytes[5]! << 8);
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (version === 1 && layer === 0) throw new LnError('LN_ERR_LOAD_NOT_COMPONENT', { subject });
  if (version !== COMPONENT_VERSION || layer !== COMPONENT_LAYER) {
    throw new LnError('LN_ERR_LOAD_UNSUPPORTED_VERSION', {
      subject,
      version: `0x${version.toString(16)}`,
      layer,
    });
  }
}
