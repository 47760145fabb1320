/**
 * Frame -> PacketView, in place: link layer, IPv4/IPv6 with extension headers,
 * TCP with options. Every read is checked against the bytes present; a packet
 * cut by the snap length is decoded as far as its bytes go.
 */
import { inflateRawSync } from 'node:zlib';
import type { Frame } from '../capture/frame.js';
import { PacketKind, type PacketView } from './packet.js';

export interface DecodeCounts {
  packets: number;
  tcp: number;
  nonTcp: number;
  notIp: number;
  fragments: number;
  truncated: number;
  unknownLink: number;
  duplicates: number;
}

const MAX_VLAN_TAGS = 8;
const MAX_IPV6_EXTENSIONS = 16;
const DUP_RING = 16;
const DUP_WINDOW = 0.005;

export class Decoder {
  readonly counts: DecodeCounts = { packets: 0, tcp: 0, nonTcp: 0, notIp: 0, fragments: 0, truncated: 0, unknownLink: 0, duplicates: 0 };
  /** Unknown link types met, with their packet counts. */
  readonly unknownLinkTypes = new Map<number, number>();
  // A ring of recent TCP packet identities, to recognise a second copy of one packet.
  private readonly ringHash = new Int32Array(DUP_RING);
  private readonly ringTs = new Float64Array(DUP_RING);
  private readonly ringMeta = new Int32Array(DUP_RING);
  private ringPos = 0;

  decode(frame: Frame, p: PacketView): PacketKind {
    p.clear();
    this.counts.packets++;
    p.frameNo = frame.frameNo;
    p.ts = frame.ts;
    p.capLen = frame.capLen;
    p.origLen = frame.origLen;
    p.linkType = frame.linkType;
    p.interfaceId = frame.interfaceId;
    const kind = this.decodeLink(frame.buf, frame.offset, frame.offset + frame.capLen, frame, p);
    p.kind = kind;
    switch (kind) {
      case PacketKind.Tcp:
        if (this.isDuplicate(p)) {
          p.kind = PacketKind.Duplicate;
          this.counts.duplicates++;
          this.counts.tcp++;
          return PacketKind.Duplicate;
        }
        this.counts.tcp++;
        break;
      case PacketKind.NonTcp:
        this.counts.nonTcp++;
        break;
      case PacketKind.Fragment:
        this.counts.fragments++;
        break;
      case PacketKind.Truncated:
        this.counts.truncated++;
        break;
      case PacketKind.UnknownLink:
        this.counts.unknownLink++;
        this.unknownLinkTypes.set(frame.linkType, (this.unknownLinkTypes.get(frame.linkType) ?? 0) + 1);
        break;
      default:
        this.counts.notIp++;
    }
    return p.kind;
  }

  private decodeLink(b: Uint8Array, o: number, end: number, frame: Frame, p: PacketView): PacketKind {
    switch (frame.linkType) {
      case 1: // Ethernet
      case 274: // Ethernet mPacket: Ethernet frames for our purpose
        return this.ethernet(b, o, end, p);
      case 113: { // Linux cooked (SLL)
        if (end - o < 16) return PacketKind.Truncated;
        p.linkDirection = (b[o]! << 8) | b[o + 1]!;
        return this.etherType(b, o + 16, end, (b[o + 14]! << 8) | b[o + 15]!, p);
      }
      case 276: { // Linux cooked v2 (SLL2)
        if (end - o < 20) return PacketKind.Truncated;
        p.linkIfIndex = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
        p.linkDirection = b[o + 10]!;
        return this.etherType(b, o + 20, end, (b[o]! << 8) | b[o + 1]!, p);
      }
      case 12:
      case 14:
      case 101: // raw IP: the version nibble decides
        return this.rawIp(b, o, end, p);
      case 228:
        return this.ipv4(b, o, end, p);
      case 229:
        return this.ipv6(b, o, end, p);
      case 0: // BSD null: address family in host byte order
      case 108: { // OpenBSD loopback: network byte order
        if (end - o < 4) return PacketKind.Truncated;
        const le = b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
        const be = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
        const af = frame.linkType === 108 ? be : le > 0 && le < 256 ? le : be;
        if (af === 2) return this.ipv4(b, o + 4, end, p);
        if (af === 10 || af === 24 || af === 28 || af === 30) return this.ipv6(b, o + 4, end, p);
        return PacketKind.NotIp;
      }
      case 239: // NFLOG: TLVs after a 4-byte header; type 9 holds the packet
        return this.nflog(b, o, end, p);
      default:
        return PacketKind.UnknownLink;
    }
  }

  private ethernet(b: Uint8Array, o: number, end: number, p: PacketView): PacketKind {
    if (end - o < 14) return PacketKind.Truncated;
    return this.etherType(b, o + 14, end, (b[o + 12]! << 8) | b[o + 13]!, p);
  }

  private etherType(b: Uint8Array, o: number, end: number, type: number, p: PacketView): PacketKind {
    for (let tags = 0; tags <= MAX_VLAN_TAGS; tags++) {
      switch (type) {
        case 0x0800:
          return this.ipv4(b, o, end, p);
        case 0x86dd:
          return this.ipv6(b, o, end, p);
        case 0x8100:
        case 0x88a8:
        case 0x9100: // VLAN tags, any depth (bounded)
          if (end - o < 4) return PacketKind.Truncated;
          type = (b[o + 2]! << 8) | b[o + 3]!;
          o += 4;
          continue;
        case 0x8847:
        case 0x8848: { // MPLS: labels until bottom of stack, then IP by version nibble
          for (let labels = 0; labels < 16; labels++) {
            if (end - o < 4) return PacketKind.Truncated;
            const bottom = b[o + 2]! & 1;
            o += 4;
            if (bottom) return this.rawIp(b, o, end, p);
          }
          return PacketKind.NotIp;
        }
        case 0x8864: { // PPPoE session: 6-byte header, 2-byte PPP protocol
          if (end - o < 8) return PacketKind.Truncated;
          const proto = (b[o + 6]! << 8) | b[o + 7]!;
          if (proto === 0x0021) return this.ipv4(b, o + 8, end, p);
          if (proto === 0x0057) return this.ipv6(b, o + 8, end, p);
          return PacketKind.NotIp;
        }
        default:
          return PacketKind.NotIp;
      }
    }
    return PacketKind.NotIp;
  }

  private rawIp(b: Uint8Array, o: number, end: number, p: PacketView): PacketKind {
    if (end - o < 1) return PacketKind.Truncated;
    const v = b[o]! >> 4;
    if (v === 4) return this.ipv4(b, o, end, p);
    if (v === 6) return this.ipv6(b, o, end, p);
    return PacketKind.NotIp;
  }

  private nflog(b: Uint8Array, o: number, end: number, p: PacketView): PacketKind {
    if (end - o < 4) return PacketKind.Truncated;
    const family = b[o]!;
    let t = o + 4;
    while (end - t >= 4) {
      const len = b[t]! | (b[t + 1]! << 8); // host byte order (little endian in practice)
      const type = b[t + 2]! | (b[t + 3]! << 8);
      if (len < 4) return PacketKind.Truncated;
      if (type === 9) {
        const stop = Math.min(end, t + len);
        return family === 10 ? this.ipv6(b, t + 4, stop, p) : this.ipv4(b, t + 4, stop, p);
      }
      t += (len + 3) & ~3;
    }
    return PacketKind.NotIp;
  }

  private ipv4(b: Uint8Array, o: number, end: number, p: PacketView): PacketKind {
    if (end - o < 20) return PacketKind.Truncated;
    if (b[o]! >> 4 !== 4) return PacketKind.NotIp;
    const ihl = (b[o]! & 15) * 4;
    if (ihl < 20) return PacketKind.NotIp;
    p.ipVersion = 4;
    let total = (b[o + 2]! << 8) | b[o + 3]!;
    if (total === 0) total = end - o; // TSO: the length comes from the frame
    p.ipId = (b[o + 4]! << 8) | b[o + 5]!;
    p.ipTtl = b[o + 8]!;
    p.src[0] = ((b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!) >>> 0;
    p.dst[0] = ((b[o + 16]! << 24) | (b[o + 17]! << 16) | (b[o + 18]! << 8) | b[o + 19]!) >>> 0;
    const proto = b[o + 9]!;
    const frag = ((b[o + 6]! << 8) | b[o + 7]!) & 0x3fff; // MF flag and offset
    if (frag !== 0) return proto === 6 ? PacketKind.Fragment : PacketKind.NonTcp;
    if (proto === 4 || proto === 41) return this.tunnel(b, o, ihl, end, proto, p);
    if (proto !== 6) return PacketKind.NonTcp;
    if (total < ihl) return PacketKind.Truncated;
    if (end - o < ihl) return PacketKind.Truncated;
    return this.tcp(b, o + ihl, end, total - ihl, p);
  }

  /** An IPComp payload, taken as DEFLATE (the algorithm in practice; the CPI may be negotiated), inflated with a bound on its size. */
  private ipcomp(b: Uint8Array, h: number, end: number, remaining: number, p: PacketView): PacketKind {
    if (end - h < 4) return PacketKind.Truncated;
    const next = b[h]!;
    let inner: Buffer;
    try {
      inner = inflateRawSync(b.subarray(h + 4, Math.min(end, h + remaining)), { maxOutputLength: 65535 });
    } catch {
      return PacketKind.Truncated;
    }
    if (next === 6) return this.tcp(inner, 0, inner.length, inner.length, p);
    if (next === 41) return this.ipv6(inner, 0, inner.length, p);
    if (next === 4) return this.ipv4(inner, 0, inner.length, p);
    return PacketKind.NonTcp;
  }

  /** IP in IPv4 (protocols 4 and 41): the inner header is the connection's. */
  private tunnel(b: Uint8Array, o: number, ihl: number, end: number, proto: number, p: PacketView): PacketKind {
    p.src.fill(0);
    p.dst.fill(0);
    return proto === 4 ? this.ipv4(b, o + ihl, end, p) : this.ipv6(b, o + ihl, end, p);
  }

  private ipv6(b: Uint8Array, o: number, end: number, p: PacketView): PacketKind {
    if (end - o < 40) return PacketKind.Truncated;
    if (b[o]! >> 4 !== 6) return PacketKind.NotIp;
    p.ipVersion = 6;
    let payload = (b[o + 4]! << 8) | b[o + 5]!;
    let next = b[o + 6]!;
    p.ipTtl = b[o + 7]!;
    for (let i = 0; i < 4; i++) {
      const s = o + 8 + 4 * i;
      const d = o + 24 + 4 * i;
      p.src[i] = ((b[s]! << 24) | (b[s + 1]! << 16) | (b[s + 2]! << 8) | b[s + 3]!) >>> 0;
      p.dst[i] = ((b[d]! << 24) | (b[d + 1]! << 16) | (b[d + 2]! << 8) | b[d + 3]!) >>> 0;
    }
    let h = o + 40;
    if (payload === 0) payload = end - h; // jumbogram (BIG TCP): the length comes from the frame
    let remaining = payload;
    for (let n = 0; n < MAX_IPV6_EXTENSIONS; n++) {
      switch (next) {
        case 6:
          return this.tcp(b, h, end, remaining, p);
        case 4: // IPv4 in IPv6
          return this.ipv4(b, h, end, p);
        case 41: // IPv6 in IPv6 (tunnels, AH-protected tunnels)
          return this.ipv6(b, h, end, p);
        case 108: // IPComp (RFC 3173): rare, so inflating here costs nothing on the common path
          return this.ipcomp(b, h, end, remaining, p);
        case 0: // hop-by-hop
        case 43: // routing
        case 60: { // destination options
          if (end - h < 2) return PacketKind.Truncated;
          const len = (b[h + 1]! + 1) * 8;
          next = b[h]!;
          h += len;
          remaining -= len;
          break;
        }
        case 51: { // authentication header: length in 4-byte units, minus 2
          if (end - h < 2) return PacketKind.Truncated;
          const len = (b[h + 1]! + 2) * 4;
          next = b[h]!;
          h += len;
          remaining -= len;
          break;
        }
        case 44: { // fragment: only an atomic fragment (offset 0, no more) is whole
          if (end - h < 8) return PacketKind.Truncated;
          const offsetAndMore = (b[h + 2]! << 8) | b[h + 3]!;
          if ((offsetAndMore & 0xfff9) !== 0) return PacketKind.Fragment;
          next = b[h]!;
          h += 8;
          remaining -= 8;
          break;
        }
        default:
          return PacketKind.NonTcp;
      }
      if (remaining < 0 || h > end) return PacketKind.Truncated;
    }
    return PacketKind.NonTcp;
  }

  private tcp(b: Uint8Array, o: number, end: number, segmentLen: number, p: PacketView): PacketKind {
    if (end - o < 20) return PacketKind.Truncated;
    p.tcpOffset = o;
    p.srcPort = (b[o]! << 8) | b[o + 1]!;
    p.dstPort = (b[o + 2]! << 8) | b[o + 3]!;
    p.seq = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
    p.ack = ((b[o + 8]! << 24) | (b[o + 9]! << 16) | (b[o + 10]! << 8) | b[o + 11]!) >>> 0;
    const hlen = (b[o + 12]! >> 4) * 4;
    p.flags = b[o + 13]!;
    p.window = (b[o + 14]! << 8) | b[o + 15]!;
    if (hlen < 20) return PacketKind.Truncated;
    p.tcpHeaderLen = hlen;
    p.payloadLen = Math.max(0, segmentLen - hlen);
    // Options are read as far as the bytes present go.
    parseOptions(b, o + 20, Math.min(o + hlen, end), p);
    return PacketKind.Tcp;
  }

  /** A second copy of the same packet seen on another interface or direction, within a few ms. */
  private isDuplicate(p: PacketView): boolean {
    if (p.linkDirection < 0 && p.linkIfIndex < 0 && p.interfaceId === 0) return false;
    let h = Math.imul(p.src[0]! ^ p.src[3]!, 0x9e3779b1) ^ Math.imul(p.dst[0]! ^ p.dst[3]!, 0x85ebca6b);
    h = Math.imul(h ^ p.seq, 0xc2b2ae35) ^ Math.imul(p.ack ^ (p.srcPort << 16) ^ p.dstPort, 0x27d4eb2f);
    h = Math.imul(h ^ p.flags ^ (p.payloadLen << 8) ^ (p.window << 16) ^ p.ipId, 0x165667b1) ^ p.tsVal;
    const meta = ((p.linkIfIndex & 0xffff) << 16) ^ ((p.linkDirection & 0xff) << 8) ^ p.interfaceId;
    for (let i = 0; i < DUP_RING; i++) {
      if (this.ringHash[i] === h && this.ringMeta[i] !== meta && p.ts - this.ringTs[i]! <= DUP_WINDOW && p.ts >= this.ringTs[i]! - DUP_WINDOW) return true;
    }
    this.ringHash[this.ringPos] = h;
    this.ringTs[this.ringPos] = p.ts;
    this.ringMeta[this.ringPos] = meta;
    this.ringPos = (this.ringPos + 1) % DUP_RING;
    return false;
  }
}

function parseOptions(b: Uint8Array, o: number, end: number, p: PacketView): void {
  while (o < end) {
    const kind = b[o]!;
    if (kind === 0) return; // end of options
    if (kind === 1) { // no-op
      o++;
      continue;
    }
    if (o + 1 >= end) return;
    const len = b[o + 1]!;
    if (len < 2 || o + len > end) return; // malformed: stop without reading past the header
    switch (kind) {
      case 2:
        if (len === 4) p.mss = (b[o + 2]! << 8) | b[o + 3]!;
        break;
      case 3:
        if (len === 3) p.wscale = b[o + 2]!;
        break;
      case 4:
        p.sackPermitted = true;
        break;
      case 5: {
        const blocks = Math.min(4, (len - 2) >> 3);
        p.sackCount = blocks;
        for (let i = 0; i < blocks * 2; i++) {
          const q = o + 2 + 4 * i;
          p.sack[i] = ((b[q]! << 24) | (b[q + 1]! << 16) | (b[q + 2]! << 8) | b[q + 3]!) >>> 0;
        }
        break;
      }
      case 8:
        if (len === 10) {
          p.hasTimestamps = true;
          p.tsVal = ((b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!) >>> 0;
          p.tsEcr = ((b[o + 6]! << 24) | (b[o + 7]! << 16) | (b[o + 8]! << 8) | b[o + 9]!) >>> 0;
        }
        break;
      default:
        break;
    }
    o += len;
  }
}
