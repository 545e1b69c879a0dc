import { BinaryReader } from '../support/binary-reader.js';
import { ByteWriter } from './instrument/byte-writer.js';

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

const ComponentSection = { CoreModule: 1 } as const;
const ModuleSection = { Custom: 0, Code: 10, Data: 11, DataCount: 12 } as const;
const PREAMBLE_BYTES = 8;
/** A function body of no locals whose code is `unreachable`: valid under any function type. */
const UNREACHABLE_BODY = Uint8Array.of(3, 0x00, 0x00, 0x0b);

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

/**
 * The core module with every function body replaced by `unreachable`, its data and custom
 * sections dropped: the same types, imports, functions, tables, memories, globals, exports,
 * start and elements, so the same bindings. Padded to `STUB_MIN_SIZE`.
 */
function stubModule(module: Uint8Array): Uint8Array {
  const out = new ByteWriter(STUB_MIN_SIZE + 64);
  out.bytes(module.subarray(0, PREAMBLE_BYTES));
  for (const { id, payload } of sectionsOf(module, 'core module')) {
    if (id === ModuleSection.Custom || id === ModuleSection.Data || id === ModuleSection.DataCount) continue;
    if (id !== ModuleSection.Code) {
      out.sectionOf(id, payload);
      continue;
    }
    const count = new BinaryReader(payload, 'core module', 'code section').u32('number of function bodies');
    const code = new ByteWriter(8 + count * UNREACHABLE_BODY.length);
    code.u32(count);
    for (let i = 0; i < count; i++) code.bytes(UNREACHABLE_BODY);
    out.section(ModuleSection.Code, code);
  }
  if (out.length < STUB_MIN_SIZE) {
    const padding = new ByteWriter(STUB_MIN_SIZE);
    padding.name('lnano');
    padding.bytes(new Uint8Array(STUB_MIN_SIZE - out.length));
    out.section(ModuleSection.Custom, padding);
  }
  return out.toBytes();
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
    const out = new ByteWriter(64 * 1024);
    out.bytes(bytes.subarray(0, PREAMBLE_BYTES));
    const modules: StubbedModule[] = [];
    for (const { id, payload } of sectionsOf(bytes, '<component>')) {
      if (id === ComponentSection.CoreModule && payload.length >= STUB_MIN_BYTES) {
        const stub = stubModule(payload);
        modules.push({ stub, original: payload });
        out.sectionOf(id, stub);
      } else {
        out.sectionOf(id, payload);
      }
    }
    return modules.length > 0 ? { bytes: out.toBytes(), modules } : undefined;
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
