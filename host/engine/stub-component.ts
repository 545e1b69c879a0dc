import { BinaryReader } from './binary-reader.js';

/**
 * Core modules at least this large are stubbed for the transpile (see `stubComponent`): a
 * componentize-js guest's 11 MB StarlingMonkey module took jco 0.9–2 s to transpile, its stub 50 ms.
 */
export const STUB_MIN_BYTES = 256 * 1024;

/**
 * The smallest stub: jco inlines a core module below its `base64Cutoff` (5000 bytes) into the
 * bindings instead of writing it as a file, so a smaller stub is padded with a custom section.
 */
const STUB_MIN_SIZE = 8192;

/** A stubbed core module: the stub jco saw, and the module it stands for. */
export interface StubbedModule {
  readonly stub: Uint8Array;
  readonly original: Uint8Array;
}

/** A component with its large core modules stubbed, and the modules to put back. */
export interface StubbedComponent {
  readonly bytes: Uint8Array;
  readonly modules: readonly StubbedModule[];
}

const enum ComponentSection { CoreModule = 1 }
const enum ModuleSection { Custom = 0, Code = 10, Data = 11, DataCount = 12 }
const PREAMBLE_BYTES = 8;
/** A function body of no locals whose code is `unreachable`: valid under any function type. */
const UNREACHABLE_BODY = Uint8Array.of(3, 0x00, 0x00, 0x0b);

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** A section: id, size, payload. */
function section(id: number, payload: Uint8Array): Uint8Array[] {
  return [Uint8Array.of(id, ...leb(payload.length)), payload];
}

/** The sections of a binary (component or core module) after its preamble, as views. */
function sectionsOf(bytes: Uint8Array, what: string): Array<{ readonly id: number; readonly payload: Uint8Array }> {
  const r = new BinaryReader(bytes, what, what, PREAMBLE_BYTES);
  const out: Array<{ id: number; payload: Uint8Array }> = [];
  while (!r.atEnd) {
    const id = r.byte('section id');
    out.push({ id, payload: r.take(r.u32('section size'), 'section') });
  }
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/**
 * The core module with every function body replaced by `unreachable`, its data and custom
 * sections dropped: the same types, imports, functions, tables, memories, globals, exports,
 * start and elements, so the same bindings. Padded to `STUB_MIN_SIZE`.
 */
function stubModule(module: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [module.subarray(0, PREAMBLE_BYTES)];
  for (const { id, payload } of sectionsOf(module, 'core module')) {
    if (id === ModuleSection.Custom || id === ModuleSection.Data || id === ModuleSection.DataCount) continue;
    if (id !== ModuleSection.Code) {
      parts.push(...section(id, payload));
      continue;
    }
    const count = new BinaryReader(payload, 'core module', 'code section').u32('number of function bodies');
    const head = leb(count);
    const code = new Uint8Array(head.length + count * UNREACHABLE_BODY.length);
    code.set(head);
    for (let i = 0; i < count; i++) code.set(UNREACHABLE_BODY, head.length + i * UNREACHABLE_BODY.length);
    parts.push(...section(ModuleSection.Code, code));
  }
  let size = parts.reduce((n, p) => n + p.length, 0);
  if (size < STUB_MIN_SIZE) {
    const name = [5, ...Buffer.from('lnano')];
    const padding = new Uint8Array(STUB_MIN_SIZE - size + name.length);
    padding.set(name);
    parts.push(...section(ModuleSection.Custom, padding));
    size += padding.length;
  }
  return concat(parts);
}

/**
 * The component with each top-level core module of `STUB_MIN_BYTES` or more replaced by a stub of
 * the same shape (see `stubModule`), or undefined when it has none (or its structure cannot be
 * read: then jco gets the real bytes and says what is wrong). Why: jco's transpile only needs the
 * core modules' types, imports and exports to write the bindings, and writes each module out as
 * it got it; parsing and validating 9 MB of code it does not change was 95% of its time. The
 * stubs' output files are then swapped for the originals (`restoreModules`). The code is still
 * validated: by the instrumentation, which reads every body, and by `WebAssembly.compile`.
 */
export function stubComponent(bytes: Uint8Array): StubbedComponent | undefined {
  try {
    const parts: Uint8Array[] = [bytes.subarray(0, PREAMBLE_BYTES)];
    const modules: StubbedModule[] = [];
    for (const { id, payload } of sectionsOf(bytes, '<component>')) {
      if (id === ComponentSection.CoreModule && payload.length >= STUB_MIN_BYTES) {
        const stub = stubModule(payload);
        modules.push({ stub, original: payload });
        parts.push(...section(id, stub));
      } else {
        parts.push(...section(id, payload));
      }
    }
    return modules.length > 0 ? { bytes: concat(parts), modules } : undefined;
  } catch {
    return undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/**
 * jco's output files of a stubbed component with each stub put back as its original module, or
 * undefined when a stub is not exactly one output file (then transpile the real bytes).
 */
export function restoreModules(files: Readonly<Record<string, Uint8Array>>, stubbed: StubbedComponent): Record<string, Uint8Array> | undefined {
  const out = { ...files };
  for (const { stub, original } of stubbed.modules) {
    const names = Object.keys(files).filter((name) => sameBytes(files[name]!, stub));
    if (names.length !== 1) return undefined;
    out[names[0]!] = original;
  }
  return out;
}
