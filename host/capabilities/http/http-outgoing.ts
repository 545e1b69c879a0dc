/**
 * `wasi:http/outgoing-handler` for one instance, built from its HTTP grant. Runs inside the
 * instance's worker, in front of preview2-shim's handler.
 *
 * Every refusal is the WASI error value `HTTP-request-denied`, never a host exception, and is
 * reported to the host as an `http-denied` notification (`HttpDenial`):
 * - no grant;
 * - more than `maxRequestsPerCall` requests in the running guest call (refused ones count);
 * - a scheme or authority the allow-list does not match (see `request-authority.ts` for what a
 *   request may look like and `authority.ts` for the patterns);
 * - a granted host *name* that resolves to a loopback, private, link-local or metadata address
 *   (`private-address`; see `http-destination.ts` for the rules and exceptions).
 *
 * Names are resolved before the request is handed to the shim, in the shim's I/O thread where it
 * connects (`http-dns-extension.ts`, called synchronously like every shim I/O call): every
 * address is checked and the connection goes to the checked addresses, never to a second DNS
 * answer. A failed lookup is `DNS-error` (`DNS-timeout` past `timeoutMs`), as the shim reports it.
 * IP literals are not looked up: the allow-list matched the address itself.
 *
 * Redirects need no special case: the shim (Node's `http.request`) never follows them, so each
 * hop is a new request the guest makes through `handle`, checked (and resolved) like the first.
 *
 * An allowed request goes to the shim with its connect, first-byte and between-bytes timeouts
 * clamped to `timeoutMs` (a guest that sets none, or 0 — "no timeout" to the shim — gets
 * `timeoutMs`); a silent server fails the request with `connection-timeout`. The response body
 * is capped at `maxResponseBytes` (`http-response-cap.ts`).
 */
import { isIP } from 'node:net';
import * as shim from '@bytecodealliance/preview2-shim';
import { callExtension } from '@bytecodealliance/preview2-shim/io-worker';
import type { HostBridge } from '../../sandbox/protocol.js';
import { compiledModuleUrl } from '../../support/compiled-url.js';
import type { HttpGrant } from './capability.js';
import { HTTP_DENIED_TOPIC, type HttpDenial } from './http-denial.js';
import type { ResolveOptions, ResolveOutcome } from './http-dns-extension.js';
import { capFutureResponse, type FutureIncomingResponseLike, type HttpErrorCode, type IoErrorClass } from './http-response-cap.js';
import { AllowList, type RequestTarget, type WasiScheme } from './request-authority.js';

/** What `handle` reads of preview2-shim's `outgoing-request`. */
interface OutgoingRequestLike {
  method(): { readonly tag: string };
  scheme(): WasiScheme;
  authority(): string | undefined;
  headers(): { entries(): Array<[string, Uint8Array]> };
}

/** preview2-shim's `request-options` as the shim's handler reads it (durations in ns). */
interface RequestOptionsLike {
  connectTimeout(): bigint | undefined;
  firstByteTimeout(): bigint | undefined;
  betweenBytesTimeout(): bigint | undefined;
}

/** The parts of the Node.js build of preview2-shim used here (its `types` point at the browser build). */
interface HttpShim {
  readonly http: {
    readonly outgoingHandler: {
      handle(request: OutgoingRequestLike, options: RequestOptionsLike): FutureIncomingResponseLike;
    };
  };
  readonly io: { readonly error: { readonly Error: IoErrorClass } };
}

const { http, io } = shim as unknown as HttpShim;

const DENIED: HttpErrorCode = Object.freeze({ tag: 'HTTP-request-denied' });
const DNS_EXTENSION = compiledModuleUrl('./http-dns-extension.js', import.meta.url);
const NS_PER_MS = 1_000_000n;

/** A duration the guest asked for, clamped to `1 ms ..= max` (absent or 0 becomes `max`). */
function clampNs(asked: bigint | undefined, max: bigint): bigint {
  if (asked === undefined || asked === 0n || asked > max) return max;
  return asked < NS_PER_MS ? NS_PER_MS : asked;
}

function clampedOptions(options: RequestOptionsLike | undefined, timeoutMs: number): RequestOptionsLike {
  const max = BigInt(Math.max(1, Math.floor(timeoutMs))) * NS_PER_MS;
  const connect = clampNs(options?.connectTimeout(), max);
  const firstByte = clampNs(options?.firstByteTimeout(), max);
  const betweenBytes = clampNs(options?.betweenBytesTimeout(), max);
  return { connectTimeout: () => connect, firstByteTimeout: () => firstByte, betweenBytesTimeout: () => betweenBytes };
}

export { HTTP_DENIED_TOPIC, type HttpDenial } from './http-denial.js';

function denial(request: OutgoingRequestLike, reason: HttpDenial['reason']): HttpDenial {
  let scheme = 'https';
  let authority = '';
  try {
    const s = request.scheme();
    scheme = s === undefined ? 'https' : s.tag === 'other' ? String(s.val).slice(0, 64) : s.tag.toLowerCase();
    authority = String(request.authority() ?? '').slice(0, 300);
  } catch {
    // Keep the defaults: the refusal itself is what matters.
  }
  return { reason, scheme, authority };
}

function isHead(request: OutgoingRequestLike): boolean {
  try {
    return request.method().tag === 'head';
  } catch {
    return false;
  }
}

/**
 * Resolves a granted name in the shim's I/O thread, checks its addresses and pins the connection
 * to them (blocks this thread like every shim I/O call; bounded by the grant's `timeoutMs`).
 */
function resolveName(host: string, grant: HttpGrant): ResolveOutcome {
  const options: ResolveOptions = { privateNetworks: grant.allowPrivateNetworks ?? false, resolver: grant.resolver ?? null, timeoutMs: grant.timeoutMs };
  try {
    return callExtension(DNS_EXTENSION, 'resolve', [host, options]) as ResolveOutcome;
  } catch (err) {
    return { tag: 'failed', error: asErrorCode(err) };
  }
}

const UTF8 = new TextEncoder();

/**
 * Adds `traceparent` to an outgoing request of a traced call, unless the guest set its own. The
 * request's fields are immutable to the guest; the shim sends `headers().entries()`, the list
 * itself (preview2-shim 0.26's `Fields`), so the header is appended there.
 * `test/integration/trace-context.test.ts` checks that a server receives it.
 */
function carryTraceparent(request: OutgoingRequestLike, traceparent: string): void {
  try {
    const entries = request.headers().entries();
    if (!entries.some(([name]) => name.toLowerCase() === 'traceparent')) entries.push(['traceparent', UTF8.encode(traceparent)]);
  } catch {
    // A shim whose fields differ: the request goes without it.
  }
}

/** A WASI `error-code` thrown by the shim passes through; anything else becomes `internal-error`. */
function asErrorCode(err: unknown): HttpErrorCode {
  if (err !== null && typeof err === 'object' && !(err instanceof Error) && typeof (err as HttpErrorCode).tag === 'string') {
    return err as HttpErrorCode;
  }
  return { tag: 'internal-error', val: err instanceof Error ? err.message : String(err) };
}

/**
 * The `wasi:http/outgoing-handler` import.
 *
 * @param grant - the instance's HTTP grant; null refuses every request
 * @param bridge - counts each request as an `http` host call of the running guest call
 * @returns `{ handle(request, options) }`, which returns the shim's future-incoming-response or
 *   throws a WASI `error-code` value (`HTTP-request-denied` for refusals)
 */
export function outgoingHandler(grant: HttpGrant | null, bridge: HostBridge): { handle: (...args: unknown[]) => unknown } {
  const allowList = new AllowList(grant?.allow ?? []);
  const budget = grant?.maxRequestsPerCall ?? 0;
  return {
    handle(...args: unknown[]): FutureIncomingResponseLike {
      const [request, options] = args as [OutgoingRequestLike, RequestOptionsLike | undefined];
      const count = bridge.hostCall('http');
      const deny = (reason: HttpDenial['reason'], extra: Partial<HttpDenial> = {}): never => {
        // At most budget + 1 notifications per guest call, however often the guest retries.
        if (count <= budget + 1) bridge.notify(HTTP_DENIED_TOPIC, { ...denial(request, reason), ...extra });
        throw DENIED;
      };
      if (grant === null) return deny('no-grant');
      if (count > grant.maxRequestsPerCall) return deny('budget');
      let target: RequestTarget | null;
      try {
        target = allowList.match(request.scheme(), request.authority());
      } catch {
        target = null;
      }
      if (target === null) return deny('not-allowed');
      if (isIP(target.host) === 0) {
        const outcome = resolveName(target.host, grant);
        if (outcome.tag === 'refused') return deny('private-address', outcome.refusal);
        if (outcome.tag === 'failed') throw outcome.error;
      }
      const traceparent = bridge.traceparent?.();
      if (traceparent !== undefined) carryTraceparent(request, traceparent);
      let future: FutureIncomingResponseLike;
      try {
        future = http.outgoingHandler.handle(request, clampedOptions(options, grant.timeoutMs));
      } catch (err) {
        throw asErrorCode(err);
      }
      return capFutureResponse(future, grant.maxResponseBytes, io.error.Error, { head: isHead(request) });
    },
  };
}
