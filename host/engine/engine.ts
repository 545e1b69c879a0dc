import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ErrorCode } from '../errors/codes.js';
import { isLnError, LnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { compiledModuleUrl } from '../support/compiled-url.js';
import { type Component, componentKind } from './component.js';
import { DECODE_DEFAULTS, type DecodedComponent } from './component-types/component-type-reader.js';
import type { ComponentShape } from './component-types/wit-types.js';
import { INSTRUMENT_VERSION, type InstrumentOptions } from './instrument/meter-contract.js';
import { checkPreamble } from './preamble.js';
import { TranspileCache, type TranspiledArtifact, transpiledArtifact } from './transpile-cache.js';
import { type ComponentSource, sharedTranspiler, TRANSPILER_DEFAULTS, Transpiler } from './transpiler.js';

/** Engine settings. Every default is listed in `ENGINE_DEFAULTS`. */
export interface EngineOptions {
  /** Folder of the on-disk transpile cache; none means no disk cache. */
  readonly cacheDir?: string;
  /** Largest component accepted, in bytes. */
  readonly maxComponentBytes?: number;
  /** How many loaded components the engine keeps in memory, by digest (0 turns it off). */
  readonly memoryCacheEntries?: number;
  /** The most items a component may declare (see `DecodeOptions.maxItems`). */
  readonly decodeItems?: number;
  /** How long decoding the types, and separately the transpile, may take, in milliseconds. */
  readonly decodeTimeoutMs?: number;
  /**
   * The JavaScript heap of the decode thread, in MiB. The default shares the process's
   * transpiler thread; another value gives this engine a thread of its own.
   */
  readonly decodeMemoryMb?: number;
  /** The decode thread to use (tests); overrides `decodeMemoryMb`. */
  readonly transpiler?: Transpiler;
  readonly logger?: Logger;
}

/**
 * Defaults: no disk cache, components up to 64 MiB, the last 64 loads kept in memory; decoding
 * (types, then transpile) off the main thread within 20 000 items, 60 s each and a 512 MiB heap.
 * A real 11.6 MB componentize-js guest transpiles in 0.05–0.7 s (its 9 MB of code stubbed, see
 * stub-component.ts; 1–2 s without) and instruments in about 1 s.
 */
export const ENGINE_DEFAULTS = Object.freeze({
  maxComponentBytes: 64 * 1024 * 1024,
  memoryCacheEntries: 64,
  decodeItems: DECODE_DEFAULTS.maxItems,
  decodeTimeoutMs: 60_000,
  decodeMemoryMb: TRANSPILER_DEFAULTS.memoryMb,
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
  /**
   * sha256 of the bytes, lowercase hex, when the caller has verified it (a content-addressed
   * artifact's name): spares hashing them again. A wrong digest poisons the caches; never pass
   * one taken on trust.
   */
  readonly digest?: string;
  /**
   * A file holding exactly these bytes (a content-addressed artifact), given with `digest`: the
   * decode process reads it itself (and checks its digest) instead of receiving the bytes.
   */
  readonly file?: string;
}

/** How `Engine.decode` and `Engine.shape` treat a component. */
export type DecodeCallOptions = Pick<LoadOptions, 'digest' | 'file'>;

/** The bytes, or their file when the caller named one with its verified digest. */
function sourceOf(bytes: Uint8Array, options: DecodeCallOptions): ComponentSource {
  return options.file !== undefined && options.digest !== undefined ? { file: options.file, digest: options.digest } : bytes;
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

/**
 * The async features a decode found, as the error refusing the component, or null when it uses
 * none.
 */
export function asyncRefusal(decoded: DecodedComponent, subject: string): LnError | null {
  if (decoded.asyncUses.length === 0) return null;
  return new LnError('LN_ERR_LOAD_ASYNC_UNSUPPORTED', { subject, uses: decoded.asyncUses.join(', ') });
}

/**
 * The meter options as a stable string (part of cache keys): every option, sorted by name, so
 * an option added to `InstrumentOptions` changes the key without anyone remembering to add it.
 */
function meterKey(meter: InstrumentOptions): string {
  const all: Record<string, unknown> = { ...meter, deadline: meter.deadline ?? false };
  return Object.keys(all)
    .sort()
    .map((k) => `${k}=${JSON.stringify(all[k])}`)
    .join(' ');
}

/**
 * Digest of the decoder's compiled code (the decode thread runs dist/): part of the decode cache
 * key, so a host whose decoder changed decodes again instead of trusting an old answer.
 */
function decoderVersion(): string {
  const hash = createHash('sha256');
  for (const file of DECODER_FILES) hash.update(readFileSync(compiledModuleUrl(file, import.meta.url)));
  return hash.digest('hex');
}
const DECODER_FILES = ['./component-types/component-type-reader.js', '../support/binary-reader.js', './component-types/wit-format.js'];
let decoderDigest: string | undefined;

/** A transpile output's core modules, compiled. @throws LnError `LN_ERR_LOAD_INVALID` for one that does not compile */
async function compileModules(artifact: TranspiledArtifact, subject: string): Promise<Map<string, WebAssembly.Module>> {
  const modules = new Map<string, WebAssembly.Module>();
  for (const [name, moduleBytes] of artifact.modules) {
    try {
      modules.set(name, await WebAssembly.compile(moduleBytes as Uint8Array<ArrayBuffer>));
    } catch (err) {
      throw new LnError(
        'LN_ERR_LOAD_INVALID',
        {
          subject,
          reason: `core module ${name} does not compile: ${(err as Error).message}`,
        },
        { cause: err },
      );
    }
  }
  return modules;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What the disk cache keeps of a decode: the answer, and the size of the bytes decoded. */
interface DecodeEntry {
  readonly sizeBytes: number;
  readonly decoded: DecodedComponent;
}

/** Whether a cached value has the form of a decode entry (a damaged entry is a miss). */
function isDecodeEntry(value: unknown): value is DecodeEntry {
  const entry = value as Partial<DecodeEntry> | undefined;
  const decoded = entry?.decoded as Partial<DecodedComponent> | undefined;
  return typeof entry?.sizeBytes === 'number' && typeof decoded?.shape === 'object' && decoded.shape !== null && Array.isArray(decoded.asyncUses);
}

function jcoVersion(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@bytecodealliance/jco-transpile');
  const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The process-wide engine (wasmtime's `Engine`): turns component bytes into a `Component` —
 * preamble check → type decoding (validation of the component structure; component-model async
 * refused) → jco transpile in instantiation mode (cached on disk by sha256 + jco version +
 * options) → with `meter`, core
 * modules instrumented (cached on disk by the transpile key + meter options + instrument
 * version) → core modules compiled once (cached in memory by digest and meter options).
 * The decoded types are cached too (see `decode`): a restart with a warm cache neither decodes,
 * transpiles nor instruments.
 * Type decoding and transpile run on the decode thread (transpiler.ts) within the item, time and
 * memory limits of `EngineOptions`, so a huge component never stalls the caller's event loop.
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
  readonly #decoded = new Map<string, Promise<DecodedComponent>>();
  /** The last component compile queued (see `#component`). */
  #compiling: Promise<unknown> = Promise.resolve();
  readonly #log: Pick<Logger, 'debug'>;
  readonly #items: number;
  readonly #timeoutMs: number;
  readonly #transpiler: Transpiler;

  constructor(options: EngineOptions = {}) {
    this.jcoVersion = jcoVersion();
    this.#cache = options.cacheDir ? new TranspileCache(options.cacheDir) : undefined;
    this.#maxBytes = options.maxComponentBytes ?? ENGINE_DEFAULTS.maxComponentBytes;
    this.#memoryEntries = options.memoryCacheEntries ?? ENGINE_DEFAULTS.memoryCacheEntries;
    // Without a logger nothing is logged: pino is not loaded for it (`lnano run` never is).
    this.#log = options.logger ?? { debug: () => undefined };
    this.#items = options.decodeItems ?? ENGINE_DEFAULTS.decodeItems;
    this.#timeoutMs = options.decodeTimeoutMs ?? ENGINE_DEFAULTS.decodeTimeoutMs;
    const memoryMb = options.decodeMemoryMb ?? ENGINE_DEFAULTS.decodeMemoryMb;
    this.#transpiler = options.transpiler ?? (memoryMb === TRANSPILER_DEFAULTS.memoryMb ? sharedTranspiler() : new Transpiler({ memoryMb }));
  }

  /**
   * Decodes a component's types on the decode thread, within the item, time and memory limits,
   * without refusing async features (`lnano inspect` shows them; `load` and `shape` refuse them).
   * Once per digest: later calls get the answer from memory or the disk cache (keyed by digest,
   * decoder code and item limit), so a restart decodes nothing.
   *
   * @throws LnError the `checkPreamble` codes, `LN_ERR_LOAD_INVALID`, `LN_ERR_LOAD_TOO_COMPLEX`
   */
  async decode(bytes: Uint8Array, subject = 'component', options: DecodeCallOptions = {}): Promise<DecodedComponent> {
    checkPreamble(bytes, subject, this.#maxBytes);
    const digest = options.digest ?? sha256(bytes);
    const pending = this.#decoded.get(digest);
    if (pending) return pending;
    return this.#remember(this.#decoded, digest, this.#decodeUncached(bytes, digest, subject, options.file));
  }

  /** The decode from the disk cache, or made on the decode thread now (and cached). */
  async #decodeUncached(bytes: Uint8Array, digest: string, subject: string, file: string | undefined): Promise<DecodedComponent> {
    const key = this.#cache ? this.decodeCacheKey(digest) : undefined;
    const cached = key ? await this.#cache!.getJson(key) : undefined;
    if (isDecodeEntry(cached) && cached.sizeBytes === bytes.length) return cached.decoded;
    const decoded = await this.#decodeOnThread(sourceOf(bytes, { digest, ...(file !== undefined ? { file } : {}) }), subject);
    if (key) await this.#cache!.putJson(key, { sizeBytes: bytes.length, decoded } satisfies DecodeEntry);
    return decoded;
  }

  async #decodeOnThread(bytes: ComponentSource, subject: string): Promise<DecodedComponent> {
    try {
      return await this.#transpiler.decode(bytes, this.#items, { subject, timeoutMs: this.#timeoutMs });
    } catch (err) {
      if (isLnError(err) && (err.code === 'LN_ERR_LOAD_INVALID' || err.code === 'LN_ERR_LOAD_TOO_COMPLEX')) {
        const code = err.code as ErrorCode; // revived from the decode thread: its details are as sent
        throw new LnError(code, { ...err.details, subject }, { cause: err });
      }
      throw err;
    }
  }

  /**
   * A loadable component's imports and exports, decoded off the main thread.
   *
   * @throws LnError like `decode`, and `LN_ERR_LOAD_ASYNC_UNSUPPORTED` for component-model async
   */
  async shape(bytes: Uint8Array, subject = 'component', options: DecodeCallOptions = {}): Promise<ComponentShape> {
    const decoded = await this.decode(bytes, subject, options);
    const refusal = asyncRefusal(decoded, subject);
    if (refusal) throw refusal;
    return decoded.shape;
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
    return createHash('sha256')
      .update(`${transpiled}\n${meterKey(meter)}\ninstrument ${INSTRUMENT_VERSION}`)
      .digest('hex');
  }

  /** The disk cache key of a component digest's decoded types under this decoder and item limit. */
  decodeCacheKey(digest: string): string {
    decoderDigest ??= decoderVersion();
    return createHash('sha256').update(`${digest}\ndecoded\n${decoderDigest}\nitems=${this.#items}`).digest('hex');
  }

  /**
   * Loads a component.
   *
   * @param bytes - the component binary
   * @param subject - how to name it in errors and logs (file name, `name@version`)
   * @param options - `meter`: instrument the core modules (fuel, memory and table caps)
   * @throws LnError `LN_ERR_LOAD_*` for bytes that are not a loadable component
   *   (`LN_ERR_LOAD_ASYNC_UNSUPPORTED` for component-model async, `LN_ERR_LOAD_TOO_COMPLEX` past
   *   the decode limits),
   *   `LN_ERR_LOAD_UNSUPPORTED_FEATURE` when `meter` is set and a core module uses something the
   *   instrumentation does not know, `LN_ERR_BUDGET_MEMORY` when a memory or table needs more
   *   than the caps from the start
   */
  async load(bytes: Uint8Array, subject = 'component', options: LoadOptions = {}): Promise<Component> {
    checkPreamble(bytes, subject, this.#maxBytes);
    const digest = options.digest ?? sha256(bytes);
    const meter = options.meter ?? null;
    const memoryKey = meter ? `${digest} ${meterKey(meter)}` : digest;
    const pending = this.#loaded.get(memoryKey);
    if (pending) {
      const component = await pending;
      return { ...component, source: 'memory-cache' };
    }
    return this.#remember(this.#loaded, memoryKey, this.#loadUncached(bytes, digest, subject, meter, options.file));
  }

  /**
   * The component from the caches alone, without its bytes: from memory, or from the disk cache's
   * decoded types and (with `meter`, instrumented) transpile output. Undefined when any of it is
   * missing, or the caches knew the component at another size (a stored artifact replaced or cut
   * short): then read the bytes and `load` them. A restart serves its versions this way, without
   * reading, hashing or decoding their artifacts.
   *
   * @param digest - sha256 of the component, lowercase hex (the caches are keyed by it)
   * @param sizeBytes - the size of the component's stored bytes now
   * @throws LnError `LN_ERR_LOAD_ASYNC_UNSUPPORTED` (as `load`), `LN_ERR_LOAD_INVALID` when a
   *   cached core module does not compile
   */
  async loadCached(
    digest: string,
    subject: string,
    options: { readonly meter?: InstrumentOptions; readonly sizeBytes: number },
  ): Promise<Component | undefined> {
    const meter = options.meter ?? null;
    const memoryKey = meter ? `${digest} ${meterKey(meter)}` : digest;
    const pending = this.#loaded.get(memoryKey);
    if (pending) {
      const component = await pending.catch(() => undefined);
      return component?.sizeBytes === options.sizeBytes ? { ...component, source: 'memory-cache' } : undefined;
    }
    if (!this.#cache) return undefined;
    const [entry, artifact] = await Promise.all([this.#cache.getJson(this.decodeCacheKey(digest)), this.#cache.get(this.cacheKey(digest, meter ?? undefined))]);
    if (!isDecodeEntry(entry) || entry.sizeBytes !== options.sizeBytes || !artifact) return undefined;
    const { decoded } = entry;
    const refusal = asyncRefusal(decoded, subject);
    if (refusal) throw refusal;
    const started = performance.now();
    const component = await this.#component(subject, decoded.shape, artifact, { digest, sizeBytes: options.sizeBytes, meter, source: 'disk-cache' });
    this.#log.debug(
      { digest, subject, source: 'disk-cache', metered: meter !== null, durationMs: Math.round(performance.now() - started) },
      'component loaded',
    );
    return this.#remember(this.#loaded, memoryKey, Promise.resolve(component));
  }

  /** Keeps a load or decode in memory (the last `memoryCacheEntries`), forgotten if it fails. */
  #remember<T>(map: Map<string, Promise<T>>, key: string, work: Promise<T>): Promise<T> {
    if (this.#memoryEntries === 0) return work;
    map.set(key, work);
    work.catch(() => map.delete(key));
    while (map.size > this.#memoryEntries) map.delete(map.keys().next().value!);
    return work;
  }

  /**
   * Forgets a component's compiled modules, metered or not, and its decoded types (its transpile
   * and instrumentation output stay in the disk cache).
   */
  unload(digest: string): void {
    this.#decoded.delete(digest);
    for (const key of [...this.#loaded.keys()]) {
      if (key === digest || key.startsWith(`${digest} `)) this.#loaded.delete(key);
    }
  }

  async #loadUncached(bytes: Uint8Array, digest: string, subject: string, meter: InstrumentOptions | null, file: string | undefined): Promise<Component> {
    const started = performance.now();
    const at = { digest, ...(file !== undefined ? { file } : {}) };
    const shape = await this.shape(bytes, subject, at);
    const { artifact, source } = await this.#artifact(sourceOf(bytes, at), bytes, digest, subject, meter);
    const component = await this.#component(subject, shape, artifact, { digest, sizeBytes: bytes.length, meter, source });
    this.#log.debug({ digest, subject, source, metered: meter !== null, durationMs: Math.round(performance.now() - started) }, 'component loaded');
    return component;
  }

  /**
   * The component of a transpile output: its core modules compiled, one component at a time.
   * V8 validates a module on this thread as it compiles it (100–200 ms for an 11 MB
   * componentize-js module); compiles started side by side interleave and all finish last,
   * while one after the other let the first component start its instances (in their workers)
   * as the next one compiles — a restart of ten versions gets its first ones serving sooner.
   */
  #component(
    subject: string,
    shape: ComponentShape,
    artifact: TranspiledArtifact,
    about: Pick<Component, 'digest' | 'sizeBytes' | 'meter' | 'source'>,
  ): Promise<Component> {
    const compiled = this.#compiling.then(() => compileModules(artifact, subject));
    this.#compiling = compiled.catch(() => undefined);
    return compiled.then((modules) => ({ ...about, shape, kind: componentKind(shape), bindings: artifact.bindings, modules }));
  }

  /**
   * The transpile output, instrumented when `meter` is set, from the disk cache or made now. With
   * a disk cache the transpiler process makes and stores the entries itself and this reads them
   * back as a restart does (see `Transpiler.prepare` for why); without one the files come back
   * over IPC.
   */
  async #artifact(
    from: ComponentSource,
    bytes: Uint8Array,
    digest: string,
    subject: string,
    meter: InstrumentOptions | null,
  ): Promise<{ artifact: TranspiledArtifact; source: Component['source'] }> {
    const cache = this.#cache;
    if (cache) {
      const key = this.cacheKey(digest, meter ?? undefined);
      const cached = await cache.get(key);
      if (cached) return { artifact: cached, source: 'disk-cache' };
      const started = performance.now();
      const store = { cacheDir: cache.dir, transpiledKey: this.cacheKey(digest), ...(meter ? { meter, meteredKey: key } : {}) };
      const transpiled = await this.#onThread(subject, () =>
        this.#transpiler.prepare(from, TRANSPILE_OPTIONS, store, { subject, timeoutMs: 2 * this.#timeoutMs }),
      );
      const artifact = await cache.get(key);
      if (!artifact) throw new Error(`the transpile cache entry of ${subject} could not be read back from ${cache.dir}`);
      this.#log.debug({ digest, subject, meter, transpiled, durationMs: Math.round(performance.now() - started) }, 'component prepared');
      return { artifact, source: transpiled ? 'transpiled' : 'disk-cache' };
    }
    const artifact = await this.#transpile(bytes, subject);
    if (!meter) return { artifact, source: 'transpiled' };
    const started = performance.now();
    const instrumented = await this.#transpiler.instrument(Object.fromEntries(artifact.modules), meter, { subject, timeoutMs: this.#timeoutMs });
    this.#log.debug({ digest, subject, meter, durationMs: Math.round(performance.now() - started) }, 'core modules instrumented');
    return { artifact: { bindings: artifact.bindings, modules: new Map(Object.entries(instrumented)) }, source: 'transpiled' };
  }

  /** A transpiler call whose plain errors are jco's: they become `LN_ERR_LOAD_INVALID`. */
  async #onThread<T>(subject: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (isLnError(err)) throw err;
      const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      throw new LnError('LN_ERR_LOAD_INVALID', { subject, reason: `transpile failed: ${reason}` }, { cause: err });
    }
  }

  async #transpile(bytes: Uint8Array, subject: string): Promise<TranspiledArtifact> {
    const files = await this.#onThread(subject, () => this.#transpiler.transpile(bytes, TRANSPILE_OPTIONS, { subject, timeoutMs: this.#timeoutMs }));
    return transpiledArtifact(files, TRANSPILE_OPTIONS.name, subject);
  }
}
