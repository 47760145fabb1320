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
import { hasHost, hostEnd, hostStart } from '../flow/address.js';

/** Second copies listed by frame number in one filter; more would make it unwieldy. */
export const MAX_LISTED_DUPLICATES = 64;

/** A fixed piece of filter text, printable ASCII without quote or backslash, with its bytes for writers of bytes. */
export interface Piece {
  text: string;
  bytes: Uint8Array;
}

/**
 * A piece's bytes, written into `into` when it has room (a tuple's pieces are
 * made again for every record from a new client host, as in a flood from
 * spoofed sources: no buffer of their own each time), else into new ones.
 */
function piece(text: string, into?: Uint8Array): Piece {
  const bytes = into !== undefined && into.length >= text.length ? into.subarray(0, text.length) : new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return { text, bytes };
}

/** Where the 4-tuple's two pieces are written: room for IPv6 hosts and ports with some to spare. */
const HEAD_BYTES = new Uint8Array(256);
const MIDDLE_BYTES = new Uint8Array(512);

/** Where a filter is written: pieces of text, and whole numbers. */
export interface FilterWriter {
  piece(p: Piece): void;
  uint(n: number): void;
}

const PIECES = {
  ip: {
    src: piece('(ip.src=='),
    dst: piece(' && ip.dst=='),
    orSrc: piece(' || ip.src=='),
    notIcmp: piece(' && !icmp'),
    noFragments: piece(' && ip.frag_offset==0 && ip.flags.mf==0'),
  },
  ipv6: {
    src: piece('(ipv6.src=='),
    dst: piece(' && ipv6.dst=='),
    orSrc: piece(' || ipv6.src=='),
    notIcmp: piece(' && !icmpv6'),
    noFragments: piece(' && !(ipv6.fraghdr.offset>0 || ipv6.fraghdr.more==1)'),
  },
};
const SRC_PORT = piece(' && tcp.srcport==');
const DST_PORT = piece(' && tcp.dstport==');
const FIRST_FRAME = piece(') && frame.number>=');
const LAST_FRAME = piece(' && frame.number<=');
// `frame.number!=N` rather than a set: Wireshark 4 sets need commas, which tshark's io,stat takes for separators.
const NOT_FRAME = piece(' && frame.number!=');

/** The host of "10.0.0.1:80" or "[2001:db8::1]:80". */
const hostText = (endpoint: string): string => endpoint.slice(hostStart(endpoint), hostEnd(endpoint));

/**
 * The 4-tuple part of a filter but for the client's port, which it names
 * twice: `head` up to the first, `middle` between the two. Records in a row
 * mostly share the client's host and the server, so the last one is kept,
 * and a record's tuple is three writes instead of twenty-two.
 */
const tuple = { ipv6: false, clientHost: '', server: '', head: piece(''), middle: piece('') };

function tupleFor(ipv6: boolean, client: string, server: string, serverPort: number): typeof tuple {
  const t = tuple;
  if (t.server === server && t.ipv6 === ipv6 && hasHost(client, t.clientHost)) return t;
  const p = ipv6 ? PIECES.ipv6 : PIECES.ip;
  const clientHost = hostText(client);
  const serverHost = hostText(server);
  t.ipv6 = ipv6;
  t.clientHost = clientHost;
  t.server = server;
  t.head = piece(`${p.src.text}${clientHost}${SRC_PORT.text}`, HEAD_BYTES);
  t.middle = piece(
    `${p.dst.text}${serverHost}${DST_PORT.text}${serverPort}${p.orSrc.text}${serverHost}${SRC_PORT.text}${serverPort}${p.dst.text}${clientHost}${DST_PORT.text}`,
    MIDDLE_BYTES,
  );
  return t;
}

/** Builds the text of a filter. */
class TextWriter implements FilterWriter {
  value = '';
  piece(p: Piece): void {
    this.value += p.text;
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
    const t = tupleFor(this.ipv6, this.client, this.server, this.serverPort);
    out.piece(t.head);
    out.uint(this.clientPort);
    out.piece(t.middle);
    out.uint(this.clientPort);
    out.piece(FIRST_FRAME);
    out.uint(this.firstFrame);
    if (this.lastFrame >= 0) {
      out.piece(LAST_FRAME);
      out.uint(this.lastFrame);
    }
    out.piece(p.notIcmp);
    if (this.fileHasFragments) out.piece(p.noFragments);
    for (const frame of this.duplicateFrames) {
      out.piece(NOT_FRAME);
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
