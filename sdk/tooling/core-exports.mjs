// Renames exports of a core wasm module. Compilers whose export names must be identifiers
// (AssemblyScript) export `__lnano_handle`; the component model wants
// `liquid-nano:plugin/handler@0.1.0#handle`. Only the export section is rewritten; every other
// section is copied byte for byte.

/** @param {Uint8Array} b @param {number} at @returns {[number, number]} value, next offset */
function readU32(b, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at >= b.length) throw new Error('truncated LEB128 in the core module');
    const byte = b[at++];
    value |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [value >>> 0, at];
    shift += 7;
    if (shift > 28) throw new Error('LEB128 longer than 5 bytes in the core module');
  }
}

/** @param {number} n */
function u32(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

const EXPORT_SECTION = 7;

/**
 * Returns a copy of `module` with exports renamed per `names` (old → new). Throws when a name
 * in `names` is not exported, so a build never silently misses an export.
 * @param {Uint8Array} module a core wasm module
 * @param {Record<string, string>} names
 * @returns {Uint8Array}
 */
export function renameExports(module, names) {
  if (module[0] !== 0 || module[1] !== 0x61 || module[2] !== 0x73 || module[3] !== 0x6d) {
    throw new Error('not a core wasm module');
  }
  const utf8 = new TextEncoder();
  const decode = new TextDecoder();
  const parts = [module.subarray(0, 8)];
  const seen = new Set();
  let at = 8;
  while (at < module.length) {
    const id = module[at];
    const [size, bodyAt] = readU32(module, at + 1);
    const end = bodyAt + size;
    if (id !== EXPORT_SECTION) {
      parts.push(module.subarray(at, end));
      at = end;
      continue;
    }
    let [count, p] = readU32(module, bodyAt);
    const body = [...u32(count)];
    for (; count > 0; count--) {
      const [len, nameAt] = readU32(module, p);
      const name = decode.decode(module.subarray(nameAt, nameAt + len));
      const [, afterIndex] = readU32(module, nameAt + len + 1); // kind byte, then index
      const renamed = Object.hasOwn(names, name) ? names[name] : name;
      if (renamed !== name) seen.add(name);
      const bytes = utf8.encode(renamed);
      body.push(...u32(bytes.length), ...bytes, ...module.subarray(nameAt + len, afterIndex));
      p = afterIndex;
    }
    parts.push(Uint8Array.of(EXPORT_SECTION, ...u32(body.length), ...body));
    at = end;
  }
  const missing = Object.keys(names).filter((n) => !seen.has(n));
  if (missing.length) throw new Error(`the core module does not export ${missing.join(', ')}`);
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}
