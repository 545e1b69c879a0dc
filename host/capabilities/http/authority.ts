/**
 * HTTP authority patterns, as grants and the operator policy write them:
 *
 * - `api.example.com` — that host on the scheme's default port only (80 for http, 443 for https)
 * - `api.example.com:8443` — that host on that port only
 * - `*.example.com[:port]` — any subdomain of example.com (not example.com itself)
 * - `127.0.0.1:8080`, `[::1]:8080` — IP literals
 *
 * Host names are lower-cased; anything else (userinfo, paths, trailing dots, empty labels, a
 * wildcard anywhere but the first label) is refused, so a pattern means exactly one thing.
 */

/** A parsed pattern. `port` null means the scheme's default port. */
export interface AuthorityPattern {
  readonly wildcard: boolean;
  /** Lower-case host (without the `*.`); IPv6 literals keep their brackets. */
  readonly host: string;
  readonly port: number | null;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

function parsePort(text: string, whole: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new Error(`"${whole}" has an invalid port (1-65535)`);
  }
  return Number(text);
}

function checkHost(host: string, whole: string): void {
  if (IPV6.test(host)) return;
  const v4 = IPV4.exec(host);
  if (v4) {
    if (v4.slice(1).some((octet) => Number(octet) > 255)) throw new Error(`"${whole}" is not a valid IPv4 address`);
    return;
  }
  const labels = host.split('.');
  if (host.length > 253 || !labels.every((l) => LABEL.test(l))) {
    throw new Error(`"${whole}" is not a host name (letters, digits, - and . only; no trailing dot)`);
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) throw new Error(`"${whole}" looks like a malformed IP address`);
}

/**
 * Parses `host`, `host:port`, `*.domain[:port]`, `[v6]:port`.
 *
 * @throws Error with a one-line reason naming the text
 */
export function parseAuthorityPattern(text: string): AuthorityPattern {
  const lower = text.trim().toLowerCase();
  if (lower !== text.trim() && /[^\x20-\x7e]/.test(text)) throw new Error(`"${text}" must be ASCII`);
  if (lower.length === 0 || /[\s/?#@\\%]/.test(lower)) throw new Error(`"${text}" must be host[:port] without scheme, user, path or spaces`);
  let hostPart = lower;
  let port: number | null = null;
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    if (end === -1) throw new Error(`"${text}" has an unclosed [`);
    hostPart = lower.slice(0, end + 1);
    const rest = lower.slice(end + 1);
    if (rest) {
      if (!rest.startsWith(':')) throw new Error(`"${text}" must be [address]:port`);
      port = parsePort(rest.slice(1), text);
    }
  } else {
    const colon = lower.lastIndexOf(':');
    if (colon !== -1) {
      hostPart = lower.slice(0, colon);
      port = parsePort(lower.slice(colon + 1), text);
    }
  }
  const wildcard = hostPart.startsWith('*.');
  const host = wildcard ? hostPart.slice(2) : hostPart;
  if (host.includes('*')) throw new Error(`"${text}": a wildcard may only be the first label (*.example.com)`);
  if (wildcard && (IPV4.test(host) || IPV6.test(host))) throw new Error(`"${text}": a wildcard needs a domain name`);
  checkHost(host, text);
  return { wildcard, host, port };
}

/** The port a request goes to: its own, or the scheme's default. */
export function effectivePort(port: number | null, scheme: 'http' | 'https'): number {
  return port ?? (scheme === 'https' ? 443 : 80);
}

/** Whether a concrete `host` (lower case) on `port` matches `pattern` for `scheme`. */
export function authorityMatches(pattern: AuthorityPattern, host: string, port: number, scheme: 'http' | 'https'): boolean {
  if (effectivePort(pattern.port, scheme) !== port) return false;
  return pattern.wildcard ? host.endsWith(`.${pattern.host}`) : host === pattern.host;
}

/**
 * Whether every authority `inner` allows is also allowed by `outer` — how the operator policy
 * bounds a grant.
 */
export function authorityCovers(outer: AuthorityPattern, inner: AuthorityPattern): boolean {
  if (outer.port !== inner.port) return false;
  if (!outer.wildcard) return !inner.wildcard && inner.host === outer.host;
  return inner.host.endsWith(`.${outer.host}`) || (inner.wildcard && inner.host === outer.host);
}
