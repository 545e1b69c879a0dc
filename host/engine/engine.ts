import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LnError, isLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { toClassicScript } from './bindings-source.js';
import { componentKind, type Component } from './component.js';
import { readComponentShape } from './component-type-reader.js';
import { INSTRUMENT_VERSION, instrumentModule, type InstrumentOptions } from './instrument/instrument.js';
import { checkPreamble } from './preamble.js';
import { CORE_MODULE_FILE, TranspileCache, type TranspiledArtifact } from './transpile-cache.js';
import { sharedTranspiler } from './transpiler.js';

/** Engine settings. Every default is listed in `ENGINE_DEFAULTS`. */
export interface EngineOptions {
  /** Folder of the on-disk transpile cache; none means no disk cache. */
  readonly cacheDir?: string;
  /** Largest component accepted, in bytes. */
  readonly maxComponentBytes?: number;
  /** How many loaded components the engine keeps in memory, by digest (0 turns it off). */
  readonly memoryCacheEntries?: number;
  readonly logger?: Logger;
}

/** Defaults: no disk cache, components up to 64 MiB, the last 64 loads kept in memory. */
export const ENGINE_DEFAULTS = Object.freeze({
  maxComponentBytes: 64 * 1024 * 1024,
  memoryCacheEntries: 64,
});

/**
 * Default cap of each linear memory of a metered component: 256 MiB. A componentize-js guest
 * (echo-ts) starts at 9.1 MiB and levels off around 65 MiB under 256 KiB payloads, before its
 * garbage collector catches up; C guests need far less. Matches the resources layer's default.
 */
export const DEFAULT_MEMORY_BYTES = 256 * 1024 * 1024;

/**
 * Default cap of each table of a metered component: 100 000 elements (800 KB of function
 * references). echo-ts's StarlingMonkey table has 7 565; large C/Rust programs have tens of thousands.
 */
export const DEFAULT_TABLE_ELEMENTS = 100_000;

/** How `Engine.load` treats a component. */
export interface LoadOptions {
  /**
   * Instrument the core modules (see `instrument/instrument.ts`): memory and table caps always,
   * fuel metering when `fuel` is true. Omitted: the modules run as the toolchain built them.
   * `meterOptions()` fills in the default caps.
   */
  readonly meter?: InstrumentOptions;
}

/**
 * Instrumentation options with the default caps filled in.
 *
 * @example
 * await engine.load(bytes, 'plugin.wasm', { meter: meterOptions({ fuel: true }) });
 */
export function meterOptions(options: { fuel?: boolean; memoryBytes?: number; tableElements?: number; deadline?: boolean } = {}): InstrumentOptions {
  return Object.freeze({
    fuel: options.fuel ?? false,
    maxMemoryBytes: options.memoryBytes ?? DEFAULT_MEMORY_BYTES,
    maxTableElements: options.tableElements ?? DEFAULT_TABLE_ELEMENTS,
    ...(options.deadline ? { deadline: true } : {}),
  });
}

/** Bumped whenever what the cache stores changes shape; part of the cache key. */
const CACHE_FORMAT = 2;

/** The transpile options; part of the cache key, so changing them invalidates the cache. */
const TRANSPILE_OPTIONS = Object.freeze({
  name: 'component',
  instantiation: 'async' as const,
  emitTypescriptDeclarations: false,
  noComponentErrorWrapping: false,
});

/** Decodes the component's types, naming the component in any error. */
function readShape(bytes: Uint8Array, subject: string): ReturnType<typeof readComponentShape> {
  try {
    return readComponentShape(bytes);
  } catch (err) {
    if (isLnError(err) && err.code === 'LN_ERR_LOAD_INVALID') {
      throw new LnError('LN_ERR_LOAD_INVALID', { ...err.details, reason: err.details.reason ?? 'undecodable types', subject }, { cause: err });
    }
    throw err;
  }
}

/** The meter options as a stable string (part of cache keys). */
function meterKey(meter: InstrumentOptions): string {
  return `fuel=${meter.fuel} memory=${meter.maxMemoryBytes} tables=${meter.maxTableElements}${meter.deadline ? ' deadline' : ''}`;
}

function jcoVersion(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@bytecodealliance/jco-transpile');
  const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The process-wide engine (wasmtime's `Engine`): turns component bytes into a `Component` —
 * preamble check → type decoding (validation of the component structure) → jco transpile in
 * instantiation mode (cached on disk by sha256 + jco version + options) → with `meter`, core
 * modules instrumented (cached on disk by the transpile key + meter options + instrument
 * version) → core modules compiled once (cached in memory by digest and meter options).
 *
 * @example
 * const engine = new Engine({ cacheDir: '.lnano/cache' });
 * const component = await engine.load(bytes, 'hello.wasm');
 */
export class Engine {
  readonly jcoVersion: string;
  readonly #cache: TranspileCache | undefined;
  readonly #maxBytes: number;
  readonly #memoryEntries: number;
  readonly #loaded = new Map<string, Promise<Component>>();
  readonly #log: Logger;

  constructor(options: EngineOptions = {}) {
    this.jcoVersion = jcoVersion();
    this.#cache = options.cacheDir ? new TranspileCache(options.cacheDir) : undefined;
    this.#maxBytes = options.maxComponentBytes ?? ENGINE_DEFAULTS.maxComponentBytes;
    this.#memoryEntries = options.memoryCacheEntries ?? ENGINE_DEFAULTS.memoryCacheEntries;
    this.#log = options.logger ?? silentLogger();
  }

  /**
   * The disk cache key of a component digest under this jco version and these options; with
   * `meter`, the key of its instrumented modules.
   */
  cacheKey(digest: string, meter?: InstrumentOptions): string {
    const transpiled = createHash('sha256')
      .update(`${digest}\n${this.jcoVersion}\n${JSON.stringify(TRANSPILE_OPTIONS)}\n${CACHE_FORMAT}`)
      .digest('hex');
    if (!meter) return transpiled;
    return createHash('sha256').update(`${transpiled}\n${meterKey(meter)}\ninstrument ${INSTRUMENT_VERSION}`).digest('hex');
  }

  /**
   * Loads a component.
   *
   * @param bytes - the component binary
   * @param subject - how to name it in errors and logs (file name, `name@version`)
   * @param options - `meter`: instrument the core modules (fuel, memory and table caps)
   * @throws LnError `LN_ERR_LOAD_*` for bytes that are not a loadable component,
   *   `LN_ERR_LOAD_UNSUPPORTED_FEATURE` when `meter` is set and a core module uses something the
   *   instrumentation does not know, `LN_ERR_BUDGET_MEMORY` when a memory or table needs more
   *   than the caps from the start
   */
  async load(bytes: Uint8Array, subject = 'component', options: LoadOptions = {}): Promise<Component> {
    checkPreamble(bytes, subject, this.#maxBytes);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const meter = options.meter ?? null;
    const memoryKey = meter ? `${digest} ${meterKey(meter)}` : digest;
    const pending = this.#loaded.get(memoryKey);
    if (pending) {
      const component = await pending;
      return { ...component, source: 'memory-cache' };
    }
    const loading = this.#loadUncached(bytes, digest, subject, meter);
    if (this.#memoryEntries > 0) {
      this.#loaded.set(memoryKey, loading);
      loading.catch(() => this.#loaded.delete(memoryKey));
      while (this.#loaded.size > this.#memoryEntries) {
        this.#loaded.delete(this.#loaded.keys().next().value!);
      }
    }
    return loading;
  }

  /**
   * Forgets a component's compiled modules, metered or not (its transpile and instrumentation
   * output stay in the disk cache).
   */
  unload(digest: string): void {
    for (const key of [...this.#loaded.keys()]) {
      if (key === digest || key.startsWith(`${digest} `)) this.#loaded.delete(key);
    }
  }

  async #loadUncached(bytes: Uint8Array, digest: string, subject: string, meter: InstrumentOptions | null): Promise<Component> {
    const started = performance.now();
    const shape = readShape(bytes, subject);
    const { artifact, source } = await this.#artifact(bytes, digest, subject, meter);
    const modules = new Map<string, WebAssembly.Module>();
    for (const [name, moduleBytes] of artifact.modules) {
      try {
        modules.set(name, await WebAssembly.compile(moduleBytes as Uint8Array<ArrayBuffer>));
      } catch (err) {
        throw new LnError('LN_ERR_LOAD_INVALID', {
          subject, reason: `core module ${name} does not compile: ${(err as Error).message}`,
        }, { cause: err });
      }
    }
    this.#log.debug({ digest, subject, source, metered: meter !== null, durationMs: Math.round(performance.now() - started) }, 'component loaded');
    return {
      digest, sizeBytes: bytes.length, shape, kind: componentKind(shape),
      bindings: artifact.bindings, modules, source, meter,
    };
  }

  /** The transpile output, instrumented when `meter` is set, from the disk cache or made now. */
  async #artifact(bytes: Uint8Array, digest: string, subject: string, meter: InstrumentOptions | null): Promise<{ artifact: TranspiledArtifact; source: Component['source'] }> {
    if (meter) {
      const meteredKey = this.cacheKey(digest, meter);
      const cached = await this.#cache?.get(meteredKey);
      if (cached) return { artifact: cached, source: 'disk-cache' };
    }
    const key = this.cacheKey(digest);
    let artifact = await this.#cache?.get(key);
    const source = artifact ? 'disk-cache' : 'transpiled';
    if (!artifact) {
      artifact = await this.#transpile(bytes, subject);
      await this.#cache?.put(key, artifact);
    }
    if (!meter) return { artifact, source };
    const started = performance.now();
    const modules = new Map<string, Uint8Array>();
    for (const [name, moduleBytes] of artifact.modules) {
      modules.set(name, instrumentModule(moduleBytes, meter, `${subject} (${name})`));
    }
    const metered = { bindings: artifact.bindings, modules };
    await this.#cache?.put(this.cacheKey(digest, meter), metered);
    this.#log.debug({ digest, subject, meter, durationMs: Math.round(performance.now() - started) }, 'core modules instrumented');
    return { artifact: metered, source };
  }

  async #transpile(bytes: Uint8Array, subject: string): Promise<TranspiledArtifact> {
    let files: Record<string, Uint8Array>;
    try {
      files = await sharedTranspiler().transpile(bytes, TRANSPILE_OPTIONS);
    } catch (err) {
      if (isLnError(err)) throw err;
      const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      throw new LnError('LN_ERR_LOAD_INVALID', { subject, reason: `transpile failed: ${reason}` }, { cause: err });
    }
    const js = files[`${TRANSPILE_OPTIONS.name}.js`];
    if (!js) throw new LnError('LN_ERR_LOAD_INVALID', { subject, reason: 'transpile produced no bindings' });
    const modules = new Map<string, Uint8Array>();
    for (const [name, content] of Object.entries(files)) {
      if (CORE_MODULE_FILE.test(name)) modules.set(name, content);
    }
    return { bindings: toClassicScript(Buffer.from(js).toString('utf8')), modules };
  }
}
