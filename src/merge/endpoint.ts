/**
 * Endpoint strings back to what a packet carries: the IP version, the
 * address as 32-bit words in network order (IPv4 in the first), and the
 * port. The merge makes packets of records (where a lifecycle began) to
 * replay them; `formatEndpoint` writes what this reads.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { PacketView } from '../decode/packet.js';

export interface Endpoint {
  ipVersion: 4 | 6;
  words: [number, number, number, number];
  port: number;
}

export function parseEndpoint(text: string): Endpoint | undefined {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  const port = Number(text.slice(colon + 1));
  const host = text.slice(0, colon);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  if (isIPv4(host)) {
    const [a, b, c, d] = host.split('.').map(Number) as [number, number, number, number];
    return { ipVersion: 4, words: [((a << 24) | (b << 16) | (c << 8) | d) >>> 0, 0, 0, 0], port };
  }
  if (!host.startsWith('[') || !host.endsWith(']') || !isIPv6(host.slice(1, -1))) return undefined;
  return { ipVersion: 6, words: ipv6Words(host.slice(1, -1)), port };
}

function ipv6Words(address: string): [number, number, number, number] {
  let text = address;
  // A dotted IPv4 tail (::ffff:1.2.3.4) is two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right].map((g) => parseInt(g, 16));
  const words = [0, 0, 0, 0] as [number, number, number, number];
  for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
  return words;
}

/** Sets a packet's addresses and ports: from `from` to `to`. */
export function addressPacket(p: PacketView, from: Endpoint, to: Endpoint): void {
  p.ipVersion = from.ipVersion;
  for (let i = 0; i < 4; i++) {
    p.src[i] = from.words[i]!;
    p.dst[i] = to.words[i]!;
  }
  p.srcPort = from.port;
  p.dstPort = to.port;
}
