import { isIP } from 'node:net';

/** A range of addresses a client metadata document is never fetched from, and why. */
interface RefusedRange {
  bytes: number[];
  prefix: number;
  kind: string;
}

const v4 = (address: string, prefix: number, kind: string): RefusedRange => ({
  bytes: address.split('.').map(Number),
  prefix,
  kind,
});
const v6 = (address: string, prefix: number, kind: string): RefusedRange => ({
  bytes: ipv6Bytes(address),
  prefix,
  kind,
});

/** Parses a textual IPv6 address (with `::` and an optional dotted IPv4 tail) into its 16 bytes. */
function ipv6Bytes(address: string): number[] {
  const text = address.replace(/%.*$/, '');
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((group) => {
      if (group.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
        return [(a << 8) | b, (c << 8) | d];
      }
      return [Number.parseInt(group, 16)];
    });
  };
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}

const IPV4_REFUSED: readonly RefusedRange[] = [
  v4('0.0.0.0', 8, 'unspecified ("this network")'),
  v4('10.0.0.0', 8, 'private'),
  v4('100.64.0.0', 10, 'private (shared address space)'),
  v4('127.0.0.0', 8, 'loopback'),
  v4('169.254.0.0', 16, 'link-local'),
  v4('172.16.0.0', 12, 'private'),
  v4('192.0.0.0', 24, 'reserved (IETF protocol assignments)'),
  v4('192.0.2.0', 24, 'reserved (documentation)'),
  v4('192.168.0.0', 16, 'private'),
  v4('198.18.0.0', 15, 'reserved (benchmarking)'),
  v4('198.51.100.0', 24, 'reserved (documentation)'),
  v4('203.0.113.0', 24, 'reserved (documentation)'),
  v4('224.0.0.0', 4, 'multicast'),
  v4('240.0.0.0', 4, 'reserved (including broadcast)'),
];

const IPV6_REFUSED: readonly RefusedRange[] = [
  v6('::', 128, 'unspecified'),
  v6('::1', 128, 'loopback'),
  v6('::', 96, 'IPv4-compatible (deprecated)'),
  v6('100::', 64, 'reserved (discard)'),
  v6('2001:db8::', 32, 'reserved (documentation)'),
  v6('fc00::', 7, 'unique-local'),
  v6('fe80::', 10, 'link-local'),
  v6('fec0::', 10, 'site-local (deprecated)'),
  v6('ff00::', 8, 'multicast'),
];

/** IPv6 forms that carry an IPv4 address in their last 32 bits: judged by that address. */
const IPV4_EMBEDDING: readonly RefusedRange[] = [
  v6('::ffff:0:0', 96, 'IPv4-mapped'),
  v6('64:ff9b::', 96, 'IPv4-translated (NAT64)'),
];

const inRange = (bytes: readonly number[], range: RefusedRange): boolean => {
  for (let bit = 0; bit < range.prefix; bit += 8) {
    const bits = Math.min(8, range.prefix - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    if (((bytes[bit / 8] ?? 0) & mask) !== ((range.bytes[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
};

/**
 * Why Latchkey refuses to connect to `address` for a client's metadata document, or
 * undefined for a public unicast address. Anything on this machine or its networks
 * (loopback, private, link-local, unique-local), multicast, unspecified and reserved
 * ranges are refused, also when spelled as IPv4-mapped or NAT64 IPv6: a document URL is
 * chosen by whoever registers, so it must not reach what only this machine can reach.
 */
export function refusedAddressReason(address: string): string | undefined {
  const family = isIP(address.replace(/%.*$/, ''));
  if (family === 4) {
    const bytes = address.split('.').map(Number);
    return IPV4_REFUSED.find((range) => inRange(bytes, range))?.kind;
  }
  if (family !== 6) return 'not an IP address';
  const bytes = ipv6Bytes(address);
  const embedding = IPV4_EMBEDDING.find((range) => inRange(bytes, range));
  if (embedding) {
    const inner = refusedAddressReason(bytes.slice(12).join('.'));
    return inner === undefined ? undefined : `${embedding.kind} ${inner}`;
  }
  return IPV6_REFUSED.find((range) => inRange(bytes, range))?.kind;
}
