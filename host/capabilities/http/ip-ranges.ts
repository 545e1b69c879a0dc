/**
 * The address ranges a grant by host name may not reach: where a DNS answer (DNS rebinding, an
 * `/etc/hosts` line) would otherwise turn an outside name into a door to this machine, its
 * network, or the cloud's metadata service. Checked with Node's `net.BlockList`, which parses
 * every spelling of an address (`::ffff:7f00:1` is `::ffff:127.0.0.1`).
 *
 * IPv4 ranges are also listed in their IPv4-mapped IPv6 form (`::ffff:0:0/96`), so a mapped
 * address is judged like the IPv4 address it carries.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Which kind of special range an address is in. */
export type SpecialRange = 'unspecified' | 'loopback' | 'private' | 'shared' | 'link-local' | 'metadata' | 'multicast' | 'reserved';

/** [range, first address, prefix length] for IPv4. Order matters: the first match names it. */
const V4: ReadonlyArray<readonly [SpecialRange, string, number]> = [
  ['metadata', '169.254.169.254', 32],
  ['unspecified', '0.0.0.0', 8],
  ['loopback', '127.0.0.0', 8],
  ['private', '10.0.0.0', 8],
  ['private', '172.16.0.0', 12],
  ['private', '192.168.0.0', 16],
  ['shared', '100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['link-local', '169.254.0.0', 16],
  ['reserved', '192.0.0.0', 24], // IETF protocol assignments (RFC 6890)
  ['reserved', '198.18.0.0', 15], // benchmarking
  ['multicast', '224.0.0.0', 4],
  ['reserved', '240.0.0.0', 4], // includes 255.255.255.255
];

/** [range, first address, prefix length] for IPv6 (IPv4-mapped ones come from `V4`). */
const V6: ReadonlyArray<readonly [SpecialRange, string, number]> = [
  ['metadata', 'fd00:ec2::254', 128], // AWS's IPv6 instance metadata service
  ['unspecified', '::', 128],
  ['loopback', '::1', 128],
  ['private', 'fc00::', 7], // unique local addresses (fd00::/8 in use)
  ['link-local', 'fe80::', 10],
  ['private', 'fec0::', 10], // deprecated site-local
  ['multicast', 'ff00::', 8],
];

const LISTS: ReadonlyArray<readonly [SpecialRange, BlockList]> = (() => {
  const lists = new Map<SpecialRange, BlockList>();
  const list = (range: SpecialRange): BlockList => lists.get(range) ?? lists.set(range, new BlockList()).get(range)!;
  for (const [range, address, prefix] of V4) {
    list(range).addSubnet(address, prefix, 'ipv4');
    list(range).addSubnet(`::ffff:${address}`, 96 + prefix, 'ipv6');
  }
  for (const [range, address, prefix] of V6) list(range).addSubnet(address, prefix, 'ipv6');
  // Metadata first: it sits inside link-local / ULA and must be named as itself.
  return [...lists].sort(([a], [b]) => Number(b === 'metadata') - Number(a === 'metadata'));
})();

/**
 * The special range `address` is in, or null for an ordinary (public) address.
 *
 * @returns `'reserved'` for text that is not an IP address at all, so nothing unparsed passes
 */
export function specialRange(address: string): SpecialRange | null {
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
  if (family === null) return 'reserved';
  for (const [range, list] of LISTS) {
    if (list.check(address, family)) return range;
  }
  return null;
}
