/**
 * Who may talk to a listener from a browser. Both listeners are plain HTTP on loopback by
 * default, so any web page the operator visits could otherwise reach them:
 *
 * - **DNS rebinding**: a page on `evil.example` whose name is re-pointed at 127.0.0.1 talks to the
 *   listener as if same-origin. Browsers still send `Host: evil.example`, so a loopback listener
 *   takes only a loopback `Host` (`localhost`, `127.0.0.0/8`, `[::1]`, any port).
 * - **Cross-site requests**: a page may POST to any URL without asking (a "simple" request). A
 *   request with an `Origin` other than the listener's own (or one of `allowedOrigins`), or with
 *   `Sec-Fetch-Site: cross-site | same-site` and no allowed `Origin`, is refused.
 *
 * Requests without these headers (curl, servers, `lnano`) are not browsers' and are accepted.
 */
import type { IncomingMessage } from 'node:http';

/** What a listener accepts from browsers. */
export interface OriginPolicy {
  /** The listener is bound to a loopback address: the `Host` must name loopback too. */
  readonly loopback: boolean;
  /** Origins (`https://app.example:8443`, as `URL#origin` writes them) allowed cross-site. */
  readonly allowedOrigins: readonly string[];
}

/** Whether a bound address (`AddressInfo.address`) is loopback: 127.0.0.0/8 or ::1. */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

/** Whether a `Host` header value names loopback: localhost, 127.0.0.0/8 or [::1], any port. */
export function isLoopbackHost(host: string): boolean {
  const name = /^(\[[^\]]*\]|[^:]*)(:\d{1,5})?$/.exec(host.toLowerCase())?.[1];
  if (name === undefined) return false;
  if (name === 'localhost' || name === '[::1]') return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return octets?.slice(1).every((o) => Number(o) <= 255) ?? false;
}

/** The last `Host` found to name loopback: clients send the same one on every request. */
let lastLoopbackHost: string | undefined;

/** Why a request's `Host` is refused (a loopback listener, a non-loopback name), or null. */
export function reboundHostReason(req: IncomingMessage, loopback: boolean): string | null {
  const host = req.headers.host;
  if (!loopback || host === undefined || host === lastLoopbackHost) return null;
  if (isLoopbackHost(host)) {
    lastLoopbackHost = host;
    return null;
  }
  return `the Host "${host.slice(0, 100)}" does not name loopback, but this listener is on loopback (DNS rebinding is refused)`;
}

/**
 * Why a request is refused as cross-site or rebound (for the error's `reason`), or null when it
 * is accepted. Cheap: a few header reads, no allocation on the usual path (no `Origin`).
 */
export function crossSiteReason(req: IncomingMessage, policy: OriginPolicy): string | null {
  const rebound = reboundHostReason(req, policy.loopback);
  if (rebound !== null) return rebound;
  const host = req.headers.host;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (policy.allowedOrigins.includes(origin.toLowerCase()) || sameOrigin(origin, host)) return null;
    return `the page's Origin ${origin.slice(0, 100)} is neither this listener's nor an allowed origin`;
  }
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return `Sec-Fetch-Site is ${site} and the request names no allowed Origin`;
  return null;
}

/** Whether `origin`'s host:port is the one the request was sent to (its `Host`). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || origin === 'null') return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}
