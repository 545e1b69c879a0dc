/**
 * The I/O-thread half of an incoming HTTP exchange (a `wasi:http/incoming-handler` call). Runs
 * inside preview2-shim's I/O thread, loaded there by `callExtension` from
 * `incoming-http-types.ts`, because that thread owns the streams and pollables a guest reads,
 * writes and polls: the request body becomes one of its readable streams (with a future for the
 * trailers), the response body one of its writable streams, so `blocking-read`, `subscribe` and
 * `poll` behave as for any other stream.
 *
 * Bytes cross to and from the main thread through two `FrameRing`s (the request ring: DATA,
 * TRAILERS, END or ABORT from the main thread; the response ring: HEAD, DATA, TRAILERS, END or
 * ABORT to it), never through the sandbox worker, which is blocked in the guest. Both rings are
 * bounded: a guest that does not read holds the client back, a client that does not read holds
 * the guest back.
 *
 * Operations, each with `[key, responseRing, …]` (the exchange's number and its response ring: the
 * first operation of an exchange starts it):
 * - `open [key, responseRing, requestRing]` → `{ stream, trailers }`: the request body's stream
 *   id and its trailers' future id (the future's value: `[name, value][]` or null; it fails when
 *   the request body is cut short);
 * - `body [key, responseRing]` → the response body's stream id;
 * - `head [key, responseRing, { status, headers }]`: the response's status and headers;
 * - `finish [key, responseRing, trailers | null]`: the response body ends (after everything written);
 * - `close [key, responseRing, reason | null]`: the call is over; a response never finished is
 *   aborted with `reason` (the client sees a cut-off response or an error).
 */
import { Readable, Writable } from 'node:stream';
import { Frame, FrameRing, jsonPayload, payloadJson } from '../support/frame-ring.js';

/** The context preview2-shim hands an extension (the part used here). */
interface ExtensionContext {
  createFuture(promise: Promise<unknown>): number;
  createReadableStream(stream: Readable): number;
  createWritableStream(stream: Writable): number;
}

/** The response head as the guest set it. */
export interface ResponseHead {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

/** Trailers as `[name, value]` pairs (values decoded as latin1, as Node's HTTP does). */
export type TrailerList = ReadonlyArray<readonly [string, string]>;

/** High-water mark of the response body stream: what `check-write` offers at most. */
const RESPONSE_HIGH_WATER = 64 * 1024;

/** The request body, read from its ring. */
class RequestBody extends Readable {
  readonly #ring: FrameRing;
  readonly trailers: Promise<TrailerList | null>;
  #settle!: { resolve(t: TrailerList | null): void; reject(err: Error): void };
  #pumping = false;
  #trailers: TrailerList | null = null;

  constructor(ring: FrameRing) {
    super({ highWaterMark: 64 * 1024 });
    this.#ring = ring;
    this.trailers = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // A guest that never asks for the trailers must not leave an unhandled rejection behind.
    this.trailers.catch(() => undefined);
  }

  override _read(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    void this.#pump();
  }

  async #pump(): Promise<void> {
    for (;;) {
      const frame = await this.#ring.read();
      if (frame.type === Frame.DATA) {
        if (!this.push(frame.payload)) {
          this.#pumping = false;
          return;
        }
      } else if (frame.type === Frame.TRAILERS) {
        this.#trailers = payloadJson(frame.payload) as TrailerList;
      } else if (frame.type === Frame.END) {
        this.#settle.resolve(this.#trailers);
        this.push(null);
        return;
      } else {
        const { message } = payloadJson(frame.payload) as { message: string };
        const err = new Error(message);
        this.#settle.reject(err);
        this.destroy(err);
        return;
      }
    }
  }
}

/** The response body, written to its ring as DATA frames. */
class ResponseBody extends Writable {
  readonly #ring: FrameRing;

  constructor(ring: FrameRing) {
    super({ highWaterMark: RESPONSE_HIGH_WATER });
    this.#ring = ring;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    void this.#send(chunk).then(
      (ok) => done(ok ? null : new Error('the client stopped reading the response')),
      (err: Error) => done(err),
    );
  }

  async #send(chunk: Uint8Array): Promise<boolean> {
    const max = Math.min(this.#ring.maxFrameBytes, 16 * 1024);
    for (let at = 0; at < chunk.length; at += max) {
      if (!(await this.#ring.write(Frame.DATA, chunk.subarray(at, at + max)))) return false;
    }
    return true;
  }
}

interface Exchange {
  readonly response: FrameRing;
  body: ResponseBody | undefined;
  finished: boolean;
  /** The head was sent. */
  responded: boolean;
}

/** Waits until everything written to `body` went to its ring (or failed). */
function drained(body: ResponseBody): Promise<void> {
  if (body.writableFinished || body.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    body.once('finish', resolve);
    body.once('error', () => resolve());
    body.once('close', resolve);
    body.end();
  });
}

/** The extension's entry point, called once per I/O thread by preview2-shim. */
export default function create(context: ExtensionContext): (operation: string, args: unknown[]) => Promise<unknown> {
  const exchanges = new Map<number, Exchange>();
  const exchangeOf = (key: number, responseRing: SharedArrayBuffer): Exchange => {
    let exchange = exchanges.get(key);
    if (!exchange) {
      exchange = { response: new FrameRing(responseRing), body: undefined, finished: false, responded: false };
      exchanges.set(key, exchange);
    }
    return exchange;
  };
  return async (operation, args) => {
    const key = Number(args[0]);
    const exchange = exchangeOf(key, args[1] as SharedArrayBuffer);
    switch (operation) {
      case 'open': {
        const request = new RequestBody(new FrameRing(args[2] as SharedArrayBuffer));
        return { stream: context.createReadableStream(request), trailers: context.createFuture(request.trailers) };
      }
      case 'body': {
        exchange.body ??= new ResponseBody(exchange.response);
        return context.createWritableStream(exchange.body);
      }
      case 'head': {
        exchange.responded = true;
        await exchange.response.write(Frame.HEAD, jsonPayload(args[2] as ResponseHead));
        return null;
      }
      case 'finish': {
        if (exchange.body) await drained(exchange.body);
        const trailers = args[2] as TrailerList | null;
        if (trailers && trailers.length > 0) await exchange.response.write(Frame.TRAILERS, jsonPayload(trailers));
        await exchange.response.write(Frame.END);
        exchange.finished = true;
        return null;
      }
      case 'close': {
        exchanges.delete(key);
        if (!exchange.finished) {
          exchange.body?.destroy();
          const reason = args[2] ?? (exchange.responded ? 'the response body was not finished' : 'the response was never set');
          await exchange.response.write(Frame.ABORT, jsonPayload({ message: String(reason) }));
        }
        return null;
      }
      default:
        throw new Error(`unknown operation ${operation}`);
    }
  };
}
