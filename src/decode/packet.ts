/**
 * The decoded view of one frame. The decoder fills a single PacketView per
 * run in place, so decoding allocates nothing per packet; addresses are kept
 * as 32-bit words and flags as a bitmask. Strings are built only when a
 * connection is reported.
 */

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;

/** What the decoder made of a frame. */
export const enum PacketKind {
  /** A TCP segment whose header is complete: all TCP fields are valid. */
  Tcp = 0,
  /** IPv4/IPv6 (or other) that is not TCP. */
  NonTcp = 1,
  /** A non-first IP fragment, or a first fragment carrying TCP: counted, never decoded as TCP. */
  Fragment = 2,
  /** Headers cut short by the snap length or by a lying length field. */
  Truncated = 3,
  /** A link type the decoder does not know. */
  UnknownLink = 4,
  /** Not IP at all (ARP, LLDP, ...). */
  NotIp = 5,
  /** A second copy of a packet already seen on another interface or direction (`tcpdump -i any`). */
  Duplicate = 6,
}

export class PacketView {
  kind: PacketKind = PacketKind.NotIp;

  // Frame facts, copied from the Frame.
  frameNo = 0;
  /** Its frame number within its file (Wireshark's `frame.number` there): set by the reading loop. */
  fileFrameNo = 0;
  /** IP fragments met in its file so far (a Wireshark filter of the file leaves them out): set by the reading loop. */
  fileFragments = 0;
  ts = 0;
  capLen = 0;
  origLen = 0;
  linkType = 0;
  interfaceId = 0;
  /** Link-level direction when the link type says it (SLL/SLL2 packet type), else -1. */
  linkDirection = -1;
  /** Link-level interface index when the link type says it (SLL2), else -1. */
  linkIfIndex = -1;

  // IP
  ipVersion: 0 | 4 | 6 = 0;
  /** Source address: IPv4 in word [0] (others zero), IPv6 in words [0..3], network order. */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  ipTtl = 0;
  /** IPv4 identification (0 for IPv6). */
  ipId = 0;

  // TCP header
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  /** Raw window field, not scaled. */
  window = 0;
  /** TCP header length in bytes. */
  tcpHeaderLen = 0;
  /** Payload length on the wire (from the IP length), even where the capture cut it. */
  payloadLen = 0;
  /** Offset of the TCP header in the frame buffer (for consumers that want raw bytes). */
  tcpOffset = 0;

  // TCP options: -1 / false when absent.
  mss = -1;
  wscale = -1;
  sackPermitted = false;
  hasTimestamps = false;
  tsVal = 0;
  tsEcr = 0;
  /** Number of SACK blocks (0-4); the edges are in `sack` as left,right pairs. */
  sackCount = 0;
  readonly sack = new Uint32Array(8);

  /** Reset every field the decoder may leave untouched for a new frame. */
  clear(): void {
    this.kind = PacketKind.NotIp;
    this.linkDirection = -1;
    this.linkIfIndex = -1;
    this.ipVersion = 0;
    const src = this.src;
    const dst = this.dst;
    src[0] = src[1] = src[2] = src[3] = 0; // by hand: fill() is a call per packet
    dst[0] = dst[1] = dst[2] = dst[3] = 0;
    this.ipTtl = 0;
    this.ipId = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.seq = 0;
    this.ack = 0;
    this.flags = 0;
    this.window = 0;
    this.tcpHeaderLen = 0;
    this.payloadLen = 0;
    this.tcpOffset = 0;
    this.mss = -1;
    this.wscale = -1;
    this.sackPermitted = false;
    this.hasTimestamps = false;
    this.tsVal = 0;
    this.tsEcr = 0;
    this.sackCount = 0;
  }
}
