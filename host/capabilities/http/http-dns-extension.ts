/**
 * Resolves granted host names for outgoing HTTP and pins the connection to the checked address.
 * Runs inside preview2-shim's I/O thread (loaded there by `callExtension` from
 * `http-outgoing.ts`), which is where the shim's `node:http`/`node:https` requests connect.
 *
 * `resolve(host, options)` looks the name up with the resolver (default `dns.lookup(host,
 * { all: true })`), judges every address (`http-destination.ts`) and, when all pass, pins them
 * for `host`. Every HTTP(S) connection this thread's agents open gets a `lookup` that answers
 * from the pins only: the connection goes to an address that was checked, never to a second DNS
 * answer, while the Host header, TLS SNI and the certificate check keep the name. A name without
 * a pin fails to connect (`DNS-error`), it is never looked up again.
 *
 * A resolver is an ES module whose default export is
 * `(hostname: string) => Promise<Array<{ address: string; family: number }>>`, named by file URL
 * (functions cannot cross into this thread).
 */
import { promises as dns } from 'node:dns';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from 'node:net';
import { type DestinationRefusal, type ResolvedAddress, refusedDestination } from './http-destination.js';
import type { HttpErrorCode } from './http-response-cap.js';

/** A DNS resolver: every address of `hostname`. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** What `resolve` is told besides the name. */
export interface ResolveOptions {
  /** `policy.http.allowPrivateNetworks`. */
  readonly privateNetworks: boolean;
  /** File URL of a resolver module; null: `dns.lookup` with `all: true`. */
  readonly resolver: string | null;
  /** How long the lookup may take, ms; past it the request fails with `DNS-timeout`. */
  readonly timeoutMs: number;
}

/** The outcome of `resolve`: pinned, refused by address, or a WASI error code for the guest. */
export type ResolveOutcome =
  | { readonly tag: 'pinned' }
  | { readonly tag: 'refused'; readonly refusal: DestinationRefusal }
  | { readonly tag: 'failed'; readonly error: HttpErrorCode };

const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

const pins = new Map<string, readonly ResolvedAddress[]>();
const resolvers = new Map<string, Promise<Resolver>>();

const pinnedLookup = ((hostname: string, options: { all?: boolean } | ((...a: unknown[]) => void), callback?: (...a: unknown[]) => void): void => {
  const done = typeof options === 'function' ? options : callback!;
  const all = typeof options === 'object' && options.all === true;
  const addresses = pins.get(hostname.toLowerCase());
  if (!addresses) {
    process.nextTick(done, Object.assign(new Error(`${hostname} was not checked`), { code: 'ENOTFOUND' }));
  } else if (all) {
    process.nextTick(
      done,
      null,
      addresses.map(({ address, family }) => ({ address, family })),
    );
  } else {
    process.nextTick(done, null, addresses[0]!.address, addresses[0]!.family);
  }
}) as unknown as LookupFunction;

/** Makes every connection of this thread's HTTP(S) agents use the pins (once per thread). */
function pinAgents(): void {
  for (const Agent of [HttpAgent, HttpsAgent]) {
    const proto = Agent.prototype as unknown as { createConnection(options: object, ...rest: unknown[]): unknown };
    const createConnection = proto.createConnection;
    proto.createConnection = function (this: unknown, options: object, ...rest: unknown[]) {
      return createConnection.call(this, { ...options, lookup: pinnedLookup }, ...rest);
    };
  }
}

function loadResolver(url: string | null): Promise<Resolver> {
  if (url === null) return Promise.resolve(systemResolver);
  let loaded = resolvers.get(url);
  if (!loaded) {
    loaded = import(url).then((m: { default: Resolver }) => m.default);
    resolvers.set(url, loaded);
  }
  return loaded;
}

function lookupFailure(err: unknown): HttpErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  return { tag: 'DNS-error', val: { rcode: typeof code === 'string' ? code.slice(0, 64) : 'lookup failed', infoCode: undefined } };
}

/**
 * Looks `host` up, judges the answer and pins it when it passes (see the file header). Never
 * throws: a failed or slow lookup is a `failed` outcome carrying the guest's error code.
 */
export async function resolveAndPin(host: string, options: ResolveOptions): Promise<ResolveOutcome> {
  pins.delete(host);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((done) => {
    timer = setTimeout(done, Math.max(1, options.timeoutMs), 'timeout');
  });
  let answer: readonly ResolvedAddress[] | 'timeout';
  try {
    const resolver = await loadResolver(options.resolver);
    answer = await Promise.race([resolver(host), timeout]);
  } catch (err) {
    return { tag: 'failed', error: lookupFailure(err) };
  } finally {
    clearTimeout(timer);
  }
  if (answer === 'timeout') return { tag: 'failed', error: { tag: 'DNS-timeout' } };
  const addresses = Array.isArray(answer) ? answer : [];
  const refusal = refusedDestination(host, addresses, options.privateNetworks);
  if (refusal) return { tag: 'refused', refusal };
  pins.set(
    host,
    addresses.map(({ address, family }) => ({ address: String(address), family: Number(family) })),
  );
  return { tag: 'pinned' };
}

/** The extension's entry point, called once per I/O thread by preview2-shim. */
export default function create(): (operation: string, args: unknown[]) => Promise<ResolveOutcome> {
  pinAgents();
  return async (operation, args) => {
    if (operation !== 'resolve') throw new Error(`unknown operation ${operation}`);
    return resolveAndPin(String(args[0]), args[1] as ResolveOptions);
  };
}
