/**
 * Host-call spans, worker side: when the host asks for it (a traced call), every call a guest
 * makes into a host interface (log, config, kv, metrics, events, outgoing HTTP) is timed inside
 * the worker and returned with the call's result, at most `MAX_HOST_CALL_SPANS` per call. The
 * main thread turns them into child spans of the plugin-call span (see `instance.ts`).
 *
 * Untraced calls pay one boolean check per host call.
 */
import { randomBytes } from 'node:crypto';

/** One timed host call. Times are epoch milliseconds (`performance.timeOrigin + now()`), so they mean the same on both threads. */
export interface HostCallSpan {
  /** `<interface> <function>`, e.g. `kv set`, `http handle`. */
  readonly name: string;
  /** The host-call kind of the usage receipt (`kv`, `http`, `log`, `metrics`, `emit`, `config`). */
  readonly kind: string;
  readonly startMs: number;
  readonly durationMs: number;
  /** Set when the host call threw (the guest sees a WIT error), e.g. `denied`. */
  readonly error?: string;
  /** The span's id, chosen here (HTTP: the parent id its request's `traceparent` named). */
  readonly spanId?: string;
}

/** Most host-call spans returned with one call; later ones are counted in `dropped`. */
export const MAX_HOST_CALL_SPANS = 64;

/** The import interfaces whose functions are timed, and their host-call kind. */
const TIMED: Readonly<Record<string, string>> = {
  'liquid-nano:plugin/log': 'log',
  'liquid-nano:plugin/config': 'config',
  'liquid-nano:plugin/kv': 'kv',
  'liquid-nano:plugin/metrics': 'metrics',
  'liquid-nano:plugin/events': 'emit',
  'wasi:http/outgoing-handler': 'http',
};

const epochMs = (): number => performance.timeOrigin + performance.now();

function describe(err: unknown): string {
  if (err !== null && typeof err === 'object' && 'tag' in err) return String((err as { tag: unknown }).tag);
  if (err !== null && typeof err === 'object' && 'payload' in err) return describe((err as { payload: unknown }).payload);
  return err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200);
}

/** The spans of the running call. */
export class HostCallRecorder {
  #on = false;
  #spans: HostCallSpan[] = [];
  #dropped = 0;
  /** `00-<trace id>-` and `-<flags>` of the call's traceparent, when it has one. */
  #trace: { readonly head: string; readonly tail: string } | null = null;
  /** The traceparent of the HTTP request being made (inside `handle` only). */
  #outgoing: string | undefined;

  /** Starts a call: records spans when `traced`; `traceparent` is the calling span's. */
  begin(traced: boolean, traceparent?: string): void {
    this.#on = traced;
    if (!traced) return;
    this.#spans = [];
    this.#dropped = 0;
    const parts = traceparent === undefined ? null : /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/.exec(traceparent);
    this.#trace = parts ? { head: `00-${parts[1]}-`, tail: `-${parts[2]}` } : null;
  }

  /** The `traceparent` of the outgoing HTTP request being handed over now (its parent: the request's own host-call span). */
  outgoingTraceparent(): string | undefined {
    return this.#outgoing;
  }

  /** Ends the call and returns what it recorded (undefined when it was not traced). */
  end(): { spans: HostCallSpan[]; dropped: number } | undefined {
    if (!this.#on) return undefined;
    this.#on = false;
    return { spans: this.#spans, dropped: this.#dropped };
  }

  #add(span: HostCallSpan): void {
    if (this.#spans.length < MAX_HOST_CALL_SPANS) this.#spans.push(span);
    else this.#dropped++;
  }

  /**
   * Wraps the timed interfaces' functions of an import object in place of the originals. An
   * outgoing HTTP request is timed from `handle` until its response (or error) is ready.
   */
  wrap(imports: Record<string, unknown>): Record<string, unknown> {
    const out = { ...imports };
    for (const [iface, kind] of Object.entries(TIMED)) {
      const fns = imports[iface];
      if (fns === null || typeof fns !== 'object') continue;
      const wrapped: Record<string, unknown> = {};
      for (const [fn, impl] of Object.entries(fns as Record<string, unknown>)) {
        wrapped[fn] = typeof impl === 'function' ? this.#timed(`${kind} ${fn}`, kind, impl as (...a: unknown[]) => unknown) : impl;
      }
      out[iface] = wrapped;
    }
    return out;
  }

  #timed(name: string, kind: string, impl: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
    return (...args: unknown[]) => {
      if (!this.#on) return impl(...args);
      const startMs = epochMs();
      const spanId = kind === 'http' && this.#trace ? randomBytes(8).toString('hex') : undefined;
      const ids = spanId ? { spanId } : {};
      let result: unknown;
      try {
        if (spanId) this.#outgoing = `${this.#trace!.head}${spanId}${this.#trace!.tail}`;
        result = impl(...args);
      } catch (err) {
        this.#add({ name, kind, startMs, durationMs: epochMs() - startMs, error: describe(err), ...ids });
        throw err;
      } finally {
        this.#outgoing = undefined;
      }
      if (kind === 'http' && result !== null && typeof result === 'object' && typeof (result as { get?: unknown }).get === 'function') {
        this.#untilReady(name, kind, startMs, result as { get(): unknown }, ids);
      } else {
        this.#add({ name, kind, startMs, durationMs: epochMs() - startMs, ...ids });
      }
      return result;
    };
  }

  /** Ends an HTTP span when its future first yields (a response or an error). */
  #untilReady(name: string, kind: string, startMs: number, future: { get(): unknown }, ids: { spanId?: string }): void {
    const get = future.get.bind(future);
    const spans = this.#spans;
    let done = false;
    future.get = () => {
      const value = get();
      if (!done && value !== undefined) {
        done = true;
        const outer = value as { tag?: string; val?: { tag?: string; val?: unknown } };
        const failed = outer.tag !== 'ok' || outer.val?.tag !== 'ok';
        // Only into the call it started in: a future read after that call ended is not its span.
        if (spans === this.#spans && this.#on)
          this.#add({ name, kind, startMs, durationMs: epochMs() - startMs, ...ids, ...(failed ? { error: describe(outer.val?.val ?? outer.val) } : {}) });
      }
      return value;
    };
  }
}
