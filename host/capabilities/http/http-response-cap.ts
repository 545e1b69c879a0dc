/**
 * Caps how many response-body bytes a guest can read from one outgoing request.
 *
 * jco checks the resources a guest receives with `instanceof` against preview2-shim's own classes
 * (`wasi:http/types`, `wasi:io/streams`), so the objects cannot be replaced or proxied. Instead
 * the chain the guest walks — `future-incoming-response.get` → `incoming-response.consume` →
 * `incoming-body.stream` → `input-stream.read`/`skip` — is patched on each instance (an own
 * method shadowing the class's); jco's bindings call those methods on the object.
 *
 * A response that announces a `content-length` over the cap fails at `get` with the error code
 * `HTTP-response-body-size(length)` (not for HEAD requests and 204/304 responses, which carry no
 * body whatever their `content-length` says). Otherwise the stream passes bytes through until the cap;
 * a read that would go past it fails with `last-operation-failed`, whose error maps (through
 * `http-error-code`) to `HTTP-response-body-size(cap)`, and so does every later read. A body of
 * exactly the cap reads in full. The guest never sees a silently truncated body.
 */

/** `wasi:http/types#error-code` as jco surfaces it. */
export interface HttpErrorCode {
  readonly tag: string;
  readonly val?: unknown;
}

/** The constructor of preview2-shim's `wasi:io/error#error` resource (it keeps `payload`). */
export type IoErrorClass = new (payload: unknown) => Error & { payload: unknown };

interface InputStreamLike {
  read(len: bigint): Uint8Array;
  blockingRead(len: bigint): Uint8Array;
  skip(len: bigint): bigint | Uint8Array;
  blockingSkip(len: bigint): bigint | Uint8Array;
  [Symbol.dispose]?(): void;
}

interface IncomingBodyLike {
  stream(): InputStreamLike;
}

interface FieldsLike {
  get(name: string): Uint8Array[];
}

interface IncomingResponseLike {
  status(): number;
  headers(): FieldsLike;
  consume(): IncomingBodyLike;
}

type Nested<T> = { tag: 'ok'; val: T } | { tag: 'err'; val: unknown };

/** preview2-shim's `future-incoming-response` (only what is patched). */
export interface FutureIncomingResponseLike {
  get(): Nested<Nested<IncomingResponseLike> | { tag: 'err'; val: HttpErrorCode }> | undefined;
}

function contentLength(response: IncomingResponseLike): number | undefined {
  const values = response.headers().get('content-length');
  if (values.length !== 1) return undefined;
  const text = new TextDecoder().decode(values[0]);
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

function byteCount(result: bigint | Uint8Array): number {
  return typeof result === 'bigint' ? Number(result) : result.byteLength;
}

function capStream(stream: InputStreamLike, maxBytes: number, IoError: IoErrorClass): void {
  let consumed = 0;
  const tooLarge = (): { tag: 'last-operation-failed'; val: Error } => {
    const error = new IoError({ tag: 'HTTP-response-body-size', val: BigInt(maxBytes) });
    error.message = `response body is over the limit of ${maxBytes} bytes`;
    return { tag: 'last-operation-failed', val: error };
  };
  const limited =
    <R extends bigint | Uint8Array>(op: (len: bigint) => R) =>
    (len: bigint): R => {
      if (consumed > maxBytes) throw tooLarge();
      const remaining = maxBytes - consumed;
      // Ask for one byte more than may be read: getting it proves the body is over the cap.
      const ask = len > BigInt(remaining + 1) ? BigInt(remaining + 1) : len;
      const result = op(ask);
      const n = byteCount(result);
      if (n > remaining) {
        consumed = maxBytes + 1;
        throw tooLarge();
      }
      consumed += n;
      return result;
    };
  stream.read = limited(stream.read.bind(stream));
  stream.blockingRead = limited(stream.blockingRead.bind(stream));
  stream.skip = limited(stream.skip.bind(stream));
  stream.blockingSkip = limited(stream.blockingSkip.bind(stream));
}

function capResponse(response: IncomingResponseLike, maxBytes: number, IoError: IoErrorClass): void {
  const consume = response.consume.bind(response);
  response.consume = () => {
    const body = consume();
    const stream = body.stream.bind(body);
    body.stream = () => {
      const s = stream();
      capStream(s, maxBytes, IoError);
      return s;
    };
    return body;
  };
}

/**
 * Patches `future` so the response it yields cannot be read past `maxBytes` (see the file
 * header). `head`: the request was a HEAD request. Returns the same object.
 */
export function capFutureResponse<F extends FutureIncomingResponseLike>(future: F, maxBytes: number, IoError: IoErrorClass, options: { head: boolean }): F {
  const get = future.get.bind(future);
  future.get = () => {
    const outer = get();
    if (outer?.tag !== 'ok' || outer.val.tag !== 'ok') return outer;
    const response = outer.val.val as IncomingResponseLike;
    const bodiless = options.head || response.status() === 204 || response.status() === 304;
    const length = bodiless ? undefined : contentLength(response);
    if (length !== undefined && length > maxBytes) {
      try {
        response.consume().stream()[Symbol.dispose]?.();
      } catch {
        // Nothing to release.
      }
      return { tag: 'ok', val: { tag: 'err', val: { tag: 'HTTP-response-body-size', val: BigInt(length) } } };
    }
    capResponse(response, maxBytes, IoError);
    return outer;
  };
  return future;
}
