/**
 * Whether the addresses a granted host *name* resolved to may be reached. A grant names hosts;
 * DNS (or `/etc/hosts`) decides where the name points, and may point it anywhere — at this
 * machine, its network, or the cloud metadata service. So a name may reach only ordinary (public)
 * addresses, with two exceptions:
 * - `localhost` may reach loopback addresses (the grant says this machine);
 * - `policy.http.allowPrivateNetworks: true` lets names reach loopback, private, shared (CGNAT),
 *   link-local and multicast addresses too (an operator whose plugins talk to services on a
 *   private network), but still not the cloud metadata addresses: those only by an IP grant.
 *
 * A grant by IP literal (`127.0.0.1:8080`) is not judged here: the grant is that address.
 * Every address of an answer must pass (a connection may try any of them); an empty answer is
 * refused like one that failed.
 */
import { type SpecialRange, specialRange } from './ip-ranges.js';

/** One address of a DNS answer, as `dns.lookup(name, { all: true })` gives it. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Why a resolved name may not be reached. */
export interface DestinationRefusal {
  /** The first address of the answer that may not be reached ('' for an empty answer). */
  readonly address: string;
  /** Its range (`reserved` for an empty answer or text that is not an address). */
  readonly range: SpecialRange;
}

/**
 * Judges a DNS answer for `host` (a lower-case DNS name).
 *
 * @param privateNetworks - `policy.http.allowPrivateNetworks`
 * @returns null when every address may be reached, else the first refused one
 */
export function refusedDestination(host: string, addresses: readonly ResolvedAddress[], privateNetworks: boolean): DestinationRefusal | null {
  if (addresses.length === 0) return { address: '', range: 'reserved' };
  for (const { address } of addresses) {
    const range = specialRange(String(address));
    if (range === null) continue;
    if (privateNetworks && range !== 'reserved' && range !== 'metadata') continue;
    if (host === 'localhost' && range === 'loopback') continue;
    return { address: String(address).slice(0, 64), range };
  }
  return null;
}
