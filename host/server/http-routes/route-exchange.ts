/**
 * One HTTP request served by a `wasi:http/proxy` component, on the main thread: the request body
 * streams from the client into the request ring, the response (head, body, trailers) streams from
 * the response ring to the client, each under its size cap, while the component's call runs in
 * its worker (`sandbox/incoming-http-types.ts`, `sandbox/http-exchange-extension.ts`).
 *
 * - A request body over `maxRequestBytes` is refused without being read: a declared
 *   `content-length` over the cap before the call starts, a longer chunked body as soon as it
 *   passes the cap (the guest's stream fails; the client gets 413 `LN_ERR_BUDGET_PAYLOAD`, or a
 *   cut connection when the response had begun). The rest of the body is never read: the
 *   connection is closed.
 * - A response body over `maxResponseBytes`, a response never set, or an aborted one: 502
 *   `LN_ERR_GUEST_HTTP_RESPONSE` when nothing was sent yet, else the connection is cut.
 * - The call's failure (deadline 504 `LN_ERR_BUDGET_TIME`, trap 500 `LN_ERR_GUEST_TRAP`, …)
 *   answers with its code when nothing was sent yet.
 * - At the deadline both rings are closed, so a guest blocked on the client (a body that never
 *   comes, a client that never reads) wakes up, fails and is stopped.
 * - The client going away closes both rings the same way.
 *
 * Hop-by-hop headers (`connection`, `keep-alive`, `transfer-encoding`, `upgrade`, `te`,
 * `trailer`, `proxy-connection`, those the `connection` header names) and `host` (the guest gets
 * it as the authority) do not reach the guest; hop-by-hop headers the guest sets are dropped.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { LnError } from '../../errors/ln-error.js';
import type { IncomingHttpCall } from '../../sandbox/incoming-http-types.js';
import { Frame, FrameRing, jsonPayload, payloadJson } from '../../support/frame-ring.js';
import type { HttpCallOutcome } from '../../versions/live-version.js';
import { errorBody, REQUEST_ID_HEADER } from '../http-service.js';

/** The caps and deadline of one exchange. */
export interface ExchangeLimits {
  readonly maxRequestBytes: number;
  readonly maxResponseBytes: number;
  readonly timeoutMs: number;
}

/** Who answers: the component's name (for errors) and its call. */
export interface ExchangeTarget {
  readonly name: string;
  serve(http: IncomingHttpCall): Promise<HttpCallOutcome>;
}

const RING_BYTES = 64 * 1024;
const DATA_FRAME_BYTES = 16 * 1024;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'http2-settings']);

let nextKey = 1;

/** Header pairs without hop-by-hop ones, names lower-cased (`raw`: Node's flat `rawHeaders`). */
function forwardable(raw: readonly string[], connection: string | undefined): Array<[string, string]> {
  const named = new Set((connection ?? '').split(',').map((t) => t.trim().toLowerCase()));
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !named.has(name)) out.push([name, raw[i + 1]!]);
  }
  return out;
}

/**
 * Serves one request; resolves when the exchange is over (answered, refused or cut). Never throws.
 *
 * @param requestId - goes out as `X-Request-Id` and in error bodies
 */
export function serveExchange(req: IncomingMessage, res: ServerResponse, target: ExchangeTarget, limits: ExchangeLimits, requestId: string): Promise<void> {
  return new Exchange(req, res, target, limits, requestId).run();
}

class Exchange {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #target: ExchangeTarget;
  readonly #limits: ExchangeLimits;
  readonly #requestId: string;
  readonly #request = FrameRing.create(RING_BYTES);
  readonly #response = FrameRing.create(RING_BYTES);
  readonly #path: string;
  #outcome: HttpCallOutcome | undefined;
  /** The request body went over its cap. */
  #tooLarge: LnError | undefined;
  /** The deadline passed (and the rings were closed): a failure after it is the deadline's. */
  #deadlinePassed = false;

  constructor(req: IncomingMessage, res: ServerResponse, target: ExchangeTarget, limits: ExchangeLimits, requestId: string) {
    this.#req = req;
    this.#res = res;
    this.#target = target;
    this.#limits = limits;
    this.#requestId = requestId;
    this.#path = (req.url ?? '/').slice(0, 200);
  }

  async run(): Promise<void> {
    const req = this.#req;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.#limits.maxRequestBytes) {
      this.#refuseBody(declared);
      return;
    }
    const call: IncomingHttpCall = {
      key: nextKey++,
      method: req.method ?? 'GET',
      pathWithQuery: req.url ?? '/',
      scheme: (req.socket as TLSSocket).encrypted ? 'https' : 'http',
      authority: req.headers.host ?? '',
      headers: forwardable(req.rawHeaders, req.headers.connection),
      requestRing: this.#request.buffer,
      responseRing: this.#response.buffer,
    };
    const deadline = setTimeout(() => {
      this.#deadlinePassed = true;
      this.#closeRings('the deadline passed');
    }, this.#limits.timeoutMs);
    this.#res.once('close', () => {
      if (!this.#res.writableFinished) this.#closeRings('the client went away');
    });
    const settled = this.#target.serve(call).then((outcome) => {
      this.#outcome = outcome;
      // The guest is done with the request body: stop feeding it.
      this.#request.closeReader();
      return outcome;
    });
    void this.#pumpRequest();
    try {
      await this.#pumpResponse(settled);
    } finally {
      clearTimeout(deadline);
      this.#request.closeReader();
      this.#response.closeReader();
    }
  }

  /** 413 before reading a byte of a body declared too large; the connection closes after it. */
  #refuseBody(size: number): void {
    this.#res.shouldKeepAlive = false;
    this.#sendError(
      new LnError('LN_ERR_BUDGET_PAYLOAD', { direction: 'request body', call: `${this.#req.method} ${this.#path}`, size, limit: this.#limits.maxRequestBytes }),
    );
    this.#res.once('finish', () => this.#req.socket.destroy());
  }

  /** Wakes a guest blocked on either ring: its reads and writes fail from now on. */
  #closeRings(message: string): void {
    this.#request.tryWrite(Frame.ABORT, jsonPayload({ message }));
    this.#request.closeReader();
    this.#response.closeReader();
  }

  /** Feeds the request body into the request ring, pausing the client while the ring is full. */
  #pumpRequest(): Promise<void> {
    const req = this.#req;
    const ring = this.#request;
    const cap = this.#limits.maxRequestBytes;
    let size = 0;
    // The frame writes in order: 'end' can come while the last chunk still waits for room.
    let writing: Promise<boolean> = Promise.resolve(true);
    return new Promise<void>((done) => {
      const stop = (): void => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
        req.off('aborted', onError);
        done();
      };
      const send = async (chunk: Buffer): Promise<boolean> => {
        for (let at = 0; at < chunk.length; at += DATA_FRAME_BYTES) {
          const slice = chunk.subarray(at, at + DATA_FRAME_BYTES);
          if (!ring.tryWrite(Frame.DATA, slice) && !(await ring.write(Frame.DATA, slice))) return false;
        }
        return true;
      };
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > cap) {
          req.pause();
          stop();
          this.#overCap(size);
          return;
        }
        req.pause();
        writing = writing.then((ok) => ok && send(chunk));
        void writing.then((ok) => {
          if (!ok || ring.readerGone) {
            // The call is over and did not read the rest: leave it unread (the connection closes).
            this.#res.shouldKeepAlive = false;
            stop();
            return;
          }
          req.resume();
        });
      };
      const onEnd = (): void => {
        stop();
        const trailers = forwardable(req.rawTrailers, undefined);
        void writing.then(async (ok) => {
          if (!ok) return;
          if (trailers.length > 0) await ring.write(Frame.TRAILERS, jsonPayload(trailers));
          await ring.write(Frame.END);
        });
      };
      const onError = (): void => {
        stop();
        void writing.then(() => ring.tryWrite(Frame.ABORT, jsonPayload({ message: 'the client aborted the request' })));
      };
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
      req.on('aborted', onError);
    });
  }

  /** The body passed its cap: the guest's stream fails, the client gets 413 or a cut connection. */
  #overCap(size: number): void {
    this.#tooLarge = new LnError('LN_ERR_BUDGET_PAYLOAD', {
      direction: 'request body',
      call: `${this.#req.method} ${this.#path}`,
      size,
      limit: this.#limits.maxRequestBytes,
    });
    this.#request.tryWrite(Frame.ABORT, jsonPayload({ message: `the request body is over the limit of ${this.#limits.maxRequestBytes} bytes` }));
    this.#request.closeReader();
    this.#res.shouldKeepAlive = false;
    if (this.#res.headersSent) this.#res.destroy();
    else {
      this.#sendError(this.#tooLarge);
      this.#res.once('finish', () => linger(this.#req));
    }
    this.#response.closeReader();
  }

  /** Copies frames from the response ring to the client until END, ABORT, a failure or a cap. */
  async #pumpResponse(settled: Promise<HttpCallOutcome>): Promise<void> {
    const res = this.#res;
    const ring = this.#response;
    let headSent = false;
    let bytes = 0;
    const early: Uint8Array[] = [];
    let callOver = false;
    const settledNow = settled.then(() => {
      callOver = true;
    });
    for (;;) {
      if (this.#tooLarge || res.destroyed) return;
      const frame = ring.tryRead();
      if (!frame) {
        const outcome = this.#outcome;
        if (outcome && !outcome.ok) return this.#fail(outcome.error, headSent);
        // Once the call is over, what it wrote is all in the ring or on its way: wait for frames only.
        await (callOver ? ring.waitForFrame() : Promise.race([ring.waitForFrame(), settledNow]));
        continue;
      }
      if (frame.type === Frame.DATA) {
        bytes += frame.payload.length;
        if (bytes > this.#limits.maxResponseBytes) {
          ring.closeReader();
          return this.#fail(this.#responseError(`the response body is over the limit of ${this.#limits.maxResponseBytes} bytes`), headSent);
        }
        if (!headSent) early.push(frame.payload);
        else if (!res.write(frame.payload)) await drained(res);
      } else if (frame.type === Frame.HEAD) {
        const problem = this.#writeHead(payloadJson(frame.payload) as { status: number; headers: Array<[string, string]> });
        if (problem) {
          ring.closeReader();
          return this.#fail(this.#responseError(problem), false);
        }
        headSent = true;
        for (const chunk of early.splice(0)) res.write(chunk);
      } else if (frame.type === Frame.TRAILERS) {
        res.addTrailers(payloadJson(frame.payload) as Array<[string, string]>);
      } else if (frame.type === Frame.END) {
        if (!headSent) return this.#fail(this.#responseError('the body ended before the response was set'), false);
        await new Promise<void>((resolve) => res.end(resolve));
        return;
      } else {
        // ABORT: the call's own failure says more, when there is one.
        const outcome = await settled;
        const { message } = payloadJson(frame.payload) as { message: string };
        return this.#fail(outcome.ok ? this.#responseError(message) : outcome.error, headSent);
      }
    }
  }

  /** Sends the guest's status and headers; returns what is wrong with them instead, if anything. */
  #writeHead(head: { status: number; headers: Array<[string, string]> }): string | null {
    const res = this.#res;
    if (!Number.isInteger(head.status) || head.status < 100 || head.status > 599) return `the status ${head.status} is not 100-599`;
    try {
      const grouped = new Map<string, string[]>();
      for (const [name, value] of head.headers) {
        const lower = name.toLowerCase();
        if (HOP_BY_HOP.has(lower) || lower === REQUEST_ID_HEADER) continue;
        const list = grouped.get(lower);
        if (list) list.push(value);
        else grouped.set(lower, [value]);
      }
      res.statusCode = head.status;
      for (const [name, values] of grouped) res.setHeader(name, values.length === 1 ? values[0]! : values);
      res.setHeader(REQUEST_ID_HEADER, this.#requestId);
      res.flushHeaders();
      return null;
    } catch (err) {
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      return `its headers cannot be sent (${(err as Error).message.slice(0, 120)})`;
    }
  }

  #responseError(reason: string): LnError {
    return new LnError('LN_ERR_GUEST_HTTP_RESPONSE', { component: this.#target.name, method: this.#req.method ?? 'GET', path: this.#path, reason });
  }

  /**
   * Answers with `error`, or cuts the connection when the response had begun. A guest that failed
   * because the deadline closed its streams (it trapped before its deadline check) failed for time.
   */
  #fail(error: LnError, headSent: boolean): void {
    if (headSent || this.#res.headersSent) {
      this.#res.destroy();
      return;
    }
    const timedOut = this.#deadlinePassed && !error.code.startsWith('LN_ERR_BUDGET_');
    this.#sendError(timedOut ? new LnError('LN_ERR_BUDGET_TIME', { call: `${this.#req.method} ${this.#path}`, timeoutMs: this.#limits.timeoutMs }) : error);
  }

  #sendError(error: LnError): void {
    const res = this.#res;
    if (res.headersSent || res.destroyed) return;
    const body = JSON.stringify(errorBody(error, this.#requestId));
    res.statusCode = error.spec.status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', Buffer.byteLength(body));
    res.setHeader(REQUEST_ID_HEADER, this.#requestId);
    res.end(body);
  }
}

/** What a refused body may still send after its 413, discarded, before the connection is cut. */
const LINGER_BYTES = 1024 * 1024;
const LINGER_MS = 1000;

/**
 * Closes the connection of a refused body gently: a socket closed with unread bytes in it is
 * reset, and the reset can destroy the 413 before the client read it. So the server half-closes,
 * discards at most `LINGER_BYTES` for at most `LINGER_MS` (never buffering them), then cuts.
 */
function linger(req: IncomingMessage): void {
  const socket = req.socket;
  let discarded = 0;
  const cut = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(cut, LINGER_MS);
  timer.unref();
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) cut();
  });
  req.on('end', cut);
  socket.end();
  req.resume();
}

/** Resolves when `res` can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
