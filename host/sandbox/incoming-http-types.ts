/**
 * `wasi:http/types` for guests that export `wasi:http/incoming-handler`: preview2-shim's types,
 * with what an incoming request and its response need. Runs inside the sandbox worker.
 *
 * jco's bindings check resources with `instanceof` against the classes of the import object and
 * call the static functions (`incoming-body.finish`, `outgoing-body.finish`,
 * `response-outparam.set`) on those classes. preview2-shim has no way to make an incoming
 * request or a response outparam from outside (its factories are private) and no trailers, so
 * this module gives the import object subclasses of the shim's classes:
 * - `IncomingBody`, `OutgoingBody`: `finish` handles the exchange's bodies here and passes the
 *   shim's own (the bodies of outgoing requests and their responses) to the shim; `instanceof`
 *   accepts both;
 * - `OutgoingResponse`: `body()` writes to the exchange's response;
 * - `ResponseOutparam`: made only here, one per call.
 * A component that never handles an incoming request sees exactly the shim's behaviour.
 *
 * The bytes go through preview2-shim's I/O thread (`http-exchange-extension.ts`): the request
 * body is one of its input streams, the response body one of its output streams.
 */
import * as shim from '@bytecodealliance/preview2-shim';
import { callExtension, futureSubscribe, futureTakeValue, inputStreamCreate, outputStreamCreate } from '@bytecodealliance/preview2-shim/io-worker';
import { compiledModuleUrl } from '../support/compiled-url.js';
import type { ResponseHead, TrailerList } from './http-exchange-extension.js';

/** What the host tells the worker about one incoming request (cloneable). */
export interface IncomingHttpCall {
  /** The exchange's number, unique in the process. */
  readonly key: number;
  /** Upper-case method, e.g. `GET`. */
  readonly method: string;
  readonly pathWithQuery: string;
  readonly scheme: 'http' | 'https';
  readonly authority: string;
  /** Header name (lower case) and value pairs, in order, hop-by-hop headers removed. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The request ring (`FrameRing`): body, trailers, end. */
  readonly requestRing: SharedArrayBuffer;
  /** The response ring: head, body, trailers, end. */
  readonly responseRing: SharedArrayBuffer;
}

interface FieldsLike {
  entries(): Array<[string, Uint8Array]>;
}
type FieldsClass = (new () => FieldsLike) & { fromList(entries: Array<[string, Uint8Array]>): FieldsLike };
interface OutgoingResponseLike {
  statusCode(): number;
  headers(): FieldsLike;
}
type OutgoingResponseClass = new (headers: FieldsLike) => OutgoingResponseLike;
type Plain = new () => object;
type WithFinish = Plain & { finish(...args: unknown[]): unknown };

interface ShimTypes {
  readonly Fields: FieldsClass;
  readonly IncomingRequest: Plain;
  readonly IncomingBody: WithFinish;
  readonly FutureTrailers: Plain;
  readonly OutgoingResponse: OutgoingResponseClass;
  readonly OutgoingBody: WithFinish;
  readonly ResponseOutparam: Plain;
}

const shimTypes = (shim as unknown as { http: { types: ShimTypes & Record<string, unknown> } }).http.types;
const EXTENSION = compiledModuleUrl('./http-exchange-extension.js', import.meta.url);
const encoder = new TextEncoder();
const latin1 = new TextDecoder('latin1');
const METHODS = new Set(['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch']);

/** Fields the guest cannot change (the shim locks the fields a response is made with). */
function lockedFields(entries: ReadonlyArray<readonly [string, string]>): FieldsLike {
  const fields = shimTypes.Fields.fromList(entries.map(([n, v]) => [n, encoder.encode(v)]));
  new shimTypes.OutgoingResponse(fields);
  return fields;
}

function pairs(fields: FieldsLike): Array<[string, string]> {
  return fields.entries().map(([n, v]) => [n, latin1.decode(v)]);
}

/** One exchange as the worker sees it. */
class Exchange {
  readonly call: IncomingHttpCall;
  #bodyStream: number | undefined;
  responded = false;
  finished = false;

  constructor(call: IncomingHttpCall) {
    this.call = call;
  }

  /** The request body's input stream and trailers future ids (opened on first use). */
  open(): { stream: number; trailers: number } {
    return callExtension(EXTENSION, 'open', [this.call.key, this.call.responseRing, this.call.requestRing]) as { stream: number; trailers: number };
  }

  responseStream(): number {
    this.#bodyStream ??= callExtension(EXTENSION, 'body', [this.call.key, this.call.responseRing]) as number;
    return this.#bodyStream;
  }

  head(head: ResponseHead): void {
    callExtension(EXTENSION, 'head', [this.call.key, this.call.responseRing, head]);
  }

  finish(trailers: TrailerList | null): void {
    callExtension(EXTENSION, 'finish', [this.call.key, this.call.responseRing, trailers]);
    this.finished = true;
  }

  close(reason: string | null): void {
    callExtension(EXTENSION, 'close', [this.call.key, this.call.responseRing, reason]);
  }
}

/** `future-trailers` of an incoming request. */
class ExchangeFutureTrailers extends shimTypes.FutureTrailers {
  readonly #id: number;

  constructor(id: number) {
    super();
    this.#id = id;
  }

  subscribe(): unknown {
    return futureSubscribe(this.#id, this);
  }

  get(): unknown {
    const value = futureTakeValue<TrailerList | null, unknown>(this.#id);
    if (value === undefined || value.tag === 'err') return value;
    if (value.val.tag === 'err') return { tag: 'ok', val: { tag: 'err', val: { tag: 'internal-error', val: 'the request body was cut short' } } };
    const trailers = value.val.val;
    return { tag: 'ok', val: { tag: 'ok', val: trailers && trailers.length > 0 ? lockedFields(trailers) : undefined } };
  }
}

/** `incoming-body`: the shim's, or an incoming request's (`instanceof` accepts both). */
class IncomingBody extends shimTypes.IncomingBody {
  static override finish(body: unknown): unknown {
    if (body instanceof ExchangeIncomingBody) return body.finishBody();
    return shimTypes.IncomingBody.finish(body);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(shimTypes.IncomingBody, value);
  }
}

class ExchangeIncomingBody extends IncomingBody {
  readonly #ids: { stream: number; trailers: number };
  #taken = false;
  #finished = false;

  constructor(ids: { stream: number; trailers: number }) {
    super();
    this.#ids = ids;
  }

  stream(): unknown {
    if (this.#taken) throw undefined;
    this.#taken = true;
    return inputStreamCreate(this.#ids.stream);
  }

  finishBody(): unknown {
    if (this.#finished) throw new Error('incoming body already finished');
    this.#finished = true;
    return new ExchangeFutureTrailers(this.#ids.trailers);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(ExchangeIncomingBody, value);
  }
}

/** `incoming-request`. */
class ExchangeIncomingRequest extends shimTypes.IncomingRequest {
  readonly #exchange: Exchange;
  #headers: FieldsLike | undefined;
  #consumed = false;

  constructor(exchange: Exchange) {
    super();
    this.#exchange = exchange;
  }

  method(): { tag: string; val?: string } {
    const m = this.#exchange.call.method.toLowerCase();
    return METHODS.has(m) ? { tag: m } : { tag: 'other', val: this.#exchange.call.method };
  }

  pathWithQuery(): string {
    return this.#exchange.call.pathWithQuery;
  }

  scheme(): { tag: string } {
    return { tag: this.#exchange.call.scheme === 'https' ? 'HTTPS' : 'HTTP' };
  }

  authority(): string {
    return this.#exchange.call.authority;
  }

  headers(): FieldsLike {
    this.#headers ??= lockedFields(this.#exchange.call.headers);
    return this.#headers;
  }

  consume(): unknown {
    if (this.#consumed) throw undefined;
    this.#consumed = true;
    return new ExchangeIncomingBody(this.#exchange.open());
  }
}

/** The exchange whose handler runs now (a worker runs one call at a time). */
let current: Exchange | undefined;

/** `outgoing-body`: the shim's (outgoing requests), or a response's. */
class OutgoingBody extends shimTypes.OutgoingBody {
  static override finish(body: unknown, trailers?: unknown): unknown {
    if (body instanceof ResponseBody) return body.finishBody(trailers as FieldsLike | undefined);
    return shimTypes.OutgoingBody.finish(body, trailers);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(shimTypes.OutgoingBody, value);
  }
}

class ResponseBody extends OutgoingBody {
  readonly #exchange: Exchange;
  #written = false;

  constructor(exchange: Exchange) {
    super();
    this.#exchange = exchange;
  }

  write(): unknown {
    if (this.#written) throw undefined;
    this.#written = true;
    return outputStreamCreate(this.#exchange.responseStream());
  }

  finishBody(trailers: FieldsLike | undefined): void {
    if (this.#exchange.finished) throw { tag: 'internal-error', val: 'the response body was finished already' };
    this.#exchange.finish(trailers ? pairs(trailers) : null);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(ResponseBody, value);
  }
}

/** `outgoing-response`: its body goes to the running exchange's client. */
class OutgoingResponse extends shimTypes.OutgoingResponse {
  #body: ResponseBody | undefined;

  body(): unknown {
    if (this.#body || !current) throw undefined;
    this.#body = new ResponseBody(current);
    return this.#body;
  }
}

/** `response-outparam`: made by the host, one per incoming request. */
class ResponseOutparam {
  readonly #exchange: Exchange;

  constructor(exchange: Exchange) {
    this.#exchange = exchange;
  }

  static set(param: ResponseOutparam, response: { tag: 'ok'; val: OutgoingResponseLike } | { tag: 'err'; val: { tag: string; val?: unknown } }): void {
    const exchange = param.#exchange;
    if (exchange.responded) throw new Error('the response was set already');
    exchange.responded = true;
    if (response.tag === 'ok') {
      exchange.head({ status: response.val.statusCode(), headers: pairs(response.val.headers()) });
    } else {
      exchange.close(`the guest answered with error ${String(response.val.tag).slice(0, 64)}`);
    }
  }
}

/** The `wasi:http/types` import of every instance (the shim's, with the classes above). */
export const httpTypes: Record<string, unknown> = Object.freeze({ ...shimTypes, IncomingBody, OutgoingBody, OutgoingResponse, ResponseOutparam });

/**
 * The arguments of `incoming-handler.handle` for one request, and what to do when the call is
 * over (`end`): a response whose body the guest did not finish is aborted, with `reason`.
 */
export function incomingHandlerArgs(call: IncomingHttpCall): { args: [unknown, unknown]; end(reason: string | null): void } {
  const exchange = new Exchange(call);
  current = exchange;
  return {
    args: [new ExchangeIncomingRequest(exchange), new ResponseOutparam(exchange)],
    end(reason) {
      if (current === exchange) current = undefined;
      exchange.close(reason);
    },
  };
}
