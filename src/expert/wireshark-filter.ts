/**
 * A Wireshark display filter that selects exactly one lifecycle's packets in
 * the file it came from. The 4-tuple is written per direction (the usual
 * `ip.addr`/`tcp.port` filter also matches the tuple with the ports swapped),
 * and bounded by the lifecycle's first and last frame in the file: a record
 * leaves before the capture shows whether its 4-tuple comes back (port
 * reuse), so every filter carries the bounds. Beyond the tuple, Wireshark
 * shows frames this tool does not count as the lifecycle's packets, and the
 * filter leaves them out:
 * - ICMP errors quoting one of its segments (Wireshark dissects the quoted
 *   IP and TCP headers): `!icmp`;
 * - IP fragments, which Wireshark reassembles into a TCP segment and this
 *   tool counts apart (`summary.counts.ip_fragments`), where the file held
 *   some before the lifecycle's last packet, so other filters stay short;
 * - the second copies of `tcpdump -i any` counted once
 *   (`summary.counts.duplicate_copies`): listed by frame number, up to
 *   MAX_LISTED_DUPLICATES per lifecycle; beyond that the filter also selects
 *   the rest of them.
 *
 * A record's filter is kept as these facts and written piece by piece: as
 * text for a record object, straight as bytes for NDJSON, where building the
 * text of every record first cost a tenth of a whole analysis.
 */

/** Second copies listed by frame number in one filter; more would make it unwieldy. */
export const MAX_LISTED_DUPLICATES = 64;

/** Where a filter is written: pieces of printable ASCII without quote or backslash, and whole numbers. */
export interface FilterWriter {
  text(text: string): void;
  /** `text` from `start` up to `end`. */
  slice(text: string, start: number, end: number): void;
  uint(n: number): void;
}

const PIECES = {
  ip: {
    src: '(ip.src==',
    dst: ' && ip.dst==',
    orSrc: ' || ip.src==',
    notIcmp: ' && !icmp',
    noFragments: ' && ip.frag_offset==0 && ip.flags.mf==0',
  },
  ipv6: {
    src: '(ipv6.src==',
    dst: ' && ipv6.dst==',
    orSrc: ' || ipv6.src==',
    notIcmp: ' && !icmpv6',
    noFragments: ' && !(ipv6.fraghdr.offset>0 || ipv6.fraghdr.more==1)',
  },
};
const SRC_PORT = ' && tcp.srcport==';
const DST_PORT = ' && tcp.dstport==';
const FIRST_FRAME = ') && frame.number>=';
const LAST_FRAME = ' && frame.number<=';
// `frame.number!=N` rather than a set: Wireshark 4 sets need commas, which tshark's io,stat takes for separators.
const NOT_FRAME = ' && frame.number!=';

/** Where the host of "10.0.0.1:80" or "[2001:db8::1]:80" begins and ends. */
const hostStart = (endpoint: string): number => (endpoint.charCodeAt(0) === 0x5b ? 1 : 0);
const hostEnd = (endpoint: string): number => endpoint.lastIndexOf(':') - hostStart(endpoint);

/** Builds the text of a filter. */
class TextWriter implements FilterWriter {
  value = '';
  text(text: string): void {
    this.value += text;
  }
  slice(text: string, start: number, end: number): void {
    this.value += text.slice(start, end);
  }
  uint(n: number): void {
    this.value += n;
  }
}

export class WiresharkFilter {
  /**
   * `client` and `server` as records spell endpoints; `lastFrame` -1 when
   * the lifecycle goes on into the next file (the filter then runs to the
   * end of its first).
   */
  constructor(
    readonly client: string,
    readonly clientPort: number,
    readonly server: string,
    readonly serverPort: number,
    readonly ipv6: boolean,
    readonly firstFrame: number,
    readonly lastFrame: number,
    readonly fileHasFragments: boolean,
    readonly duplicateFrames: readonly number[],
  ) {}

  writeTo(out: FilterWriter): void {
    const p = this.ipv6 ? PIECES.ipv6 : PIECES.ip;
    const { client, server, clientPort, serverPort } = this;
    const ca = hostStart(client);
    const ce = hostEnd(client);
    const sa = hostStart(server);
    const se = hostEnd(server);
    out.text(p.src);
    out.slice(client, ca, ce);
    out.text(SRC_PORT);
    out.uint(clientPort);
    out.text(p.dst);
    out.slice(server, sa, se);
    out.text(DST_PORT);
    out.uint(serverPort);
    out.text(p.orSrc);
    out.slice(server, sa, se);
    out.text(SRC_PORT);
    out.uint(serverPort);
    out.text(p.dst);
    out.slice(client, ca, ce);
    out.text(DST_PORT);
    out.uint(clientPort);
    out.text(FIRST_FRAME);
    out.uint(this.firstFrame);
    if (this.lastFrame >= 0) {
      out.text(LAST_FRAME);
      out.uint(this.lastFrame);
    }
    out.text(p.notIcmp);
    if (this.fileHasFragments) out.text(p.noFragments);
    for (const frame of this.duplicateFrames) {
      out.text(NOT_FRAME);
      out.uint(frame);
    }
  }

  toString(): string {
    const text = new TextWriter();
    this.writeTo(text);
    return text.value;
  }

  /** JSON.stringify writes the text. */
  toJSON(): string {
    return this.toString();
  }
}
