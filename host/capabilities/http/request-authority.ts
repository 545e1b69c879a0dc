/**
 * The target of one outgoing guest request (`wasi:http` scheme + authority), read strictly, and
 * whether an HTTP grant's allow-list lets it through. Patterns are parsed by `authority.ts`;
 * this file decides what a *request* may look like.
 *
 * A request is refused (never guessed at) when its authority is anything but a plain
 * `host[:port]`:
 * - no scheme means https (what preview2-shim sends); schemes other than http/https are refused;
 * - no authority, userinfo (`user@host`), IP literals in brackets (`[::1]`), percent-escapes,
 *   whitespace or any character outside `[A-Za-z0-9.-]` in the host: refused;
 * - a port must be decimal 1-65535 without leading zeros (`:080`, `:0`, `:65536` refused);
 * - host names are DNS names (labels of 1-63 letters, digits and `-`, not starting or ending with
 *   `-`, 253 bytes at most), compared lower-case; a trailing dot (`example.com.`) or an empty label
 *   is refused, so one name has one spelling;
 * - IPv4 addresses only in canonical dotted-quad form (`127.0.0.1`); the other spellings the
 *   system resolver accepts (`127.1`, `2130706433`, `0x7f.0.0.1`, `0177.0.0.1`) are refused,
 *   as is any name whose last label is numeric or hex (`0x7f000001`), so a numeric trick can
 *   never reach an address the allow-list does not spell out.
 */
import { type AuthorityPattern, authorityMatches, parseAuthorityPattern } from './authority.js';

/** Where a request goes, normalized. */
export interface RequestTarget {
  readonly scheme: 'http' | 'https';
  /** Lower-case DNS name or canonical dotted-quad IPv4. */
  readonly host: string;
  /** Explicit, or the scheme's default (80 / 443). */
  readonly port: number;
}

/** `wasi:http/types#scheme` as jco surfaces it (`undefined` when the guest set none). */
export type WasiScheme = { readonly tag: 'HTTP' | 'HTTPS' } | { readonly tag: 'other'; readonly val: string } | undefined;

const AUTHORITY = /^([A-Za-z0-9.-]{1,253})(?::([1-9][0-9]{0,4}))?$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
/** A last label the resolver could read as a number (`1`, `0x7f`, `0X`). */
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/;

function isCanonicalIpv4(host: string): boolean {
  const octets = host.split('.');
  return octets.length === 4 && octets.every((o) => OCTET.test(o) && Number(o) <= 255);
}

function isDnsName(host: string): boolean {
  const labels = host.split('.');
  return host.length <= 253 && labels.every((l) => LABEL.test(l)) && !NUMERIC_LABEL.test(labels[labels.length - 1]!);
}

/**
 * Reads a request's scheme and authority.
 *
 * @returns the normalized target, or null when the request must be refused (see the file header)
 */
export function requestTarget(scheme: WasiScheme, authority: string | undefined): RequestTarget | null {
  let name: 'http' | 'https';
  if (scheme === undefined || scheme.tag === 'HTTPS') name = 'https';
  else if (scheme.tag === 'HTTP') name = 'http';
  else return null;
  if (typeof authority !== 'string') return null;
  const m = AUTHORITY.exec(authority);
  if (!m) return null;
  const host = m[1]!.toLowerCase();
  const port = m[2] === undefined ? (name === 'https' ? 443 : 80) : Number(m[2]);
  if (port > 65535) return null;
  if (!isCanonicalIpv4(host) && !isDnsName(host)) return null;
  return { scheme: name, host, port };
}

/**
 * An HTTP grant's allow-list, parsed once per instance. Patterns that do not parse allow
 * nothing (grants are validated where they are made; here a bad one must not widen access).
 */
export class AllowList {
  readonly #patterns: readonly AuthorityPattern[];

  constructor(allow: readonly string[]) {
    const patterns: AuthorityPattern[] = [];
    for (const text of allow) {
      try {
        patterns.push(parseAuthorityPattern(text));
      } catch {
        // Refused at the edge already; skipping it denies what it would have allowed.
      }
    }
    this.#patterns = patterns;
  }

  /** Whether a request with this scheme and authority may go out. */
  allows(scheme: WasiScheme, authority: string | undefined): boolean {
    return this.match(scheme, authority) !== null;
  }

  /** Where a request with this scheme and authority goes, or null when it may not go out. */
  match(scheme: WasiScheme, authority: string | undefined): RequestTarget | null {
    const target = requestTarget(scheme, authority);
    if (!target) return null;
    return this.#patterns.some((p) => authorityMatches(p, target.host, target.port, target.scheme)) ? target : null;
  }
}
