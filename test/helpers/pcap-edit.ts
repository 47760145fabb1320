/** Real captures edited the way real runs differ: other client ports, a capture split in two files with time between. */

/**
 * The same traffic recorded again: a classic pcap (Ethernet, IPv4) whose
 * client ports (32768 and up) are moved to others, as a fresh run of the
 * same workload would get from the kernel. Checksums are left as they were
 * (the tool does not verify them).
 */
export function rewriteClientPorts(pcap: Uint8Array, shift: number): Uint8Array {
  const out = new Uint8Array(pcap);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const little = view.getUint32(0, true) === 0xa1b2c3d4;
  if (!little && view.getUint32(0, false) !== 0xa1b2c3d4) throw new Error('a microsecond pcap is expected');
  if (view.getUint32(20, little) !== 1) throw new Error('an Ethernet capture is expected');
  const moved = (port: number): number => (port >= 32768 ? 32768 + ((port - 32768 + shift) % 28232) : port);
  let rewritten = 0;
  for (let at = 24; at + 16 <= out.length; ) {
    const caplen = view.getUint32(at + 8, little);
    const frame = at + 16;
    if (caplen >= 34 && view.getUint16(frame + 12) === 0x0800 && out[frame + 23] === 6) {
      const tcp = frame + 14 + (out[frame + 14]! & 0x0f) * 4;
      if (tcp + 4 <= frame + caplen) {
        view.setUint16(tcp, moved(view.getUint16(tcp)));
        view.setUint16(tcp + 2, moved(view.getUint16(tcp + 2)));
        rewritten++;
      }
    }
    at = frame + caplen;
  }
  if (rewritten === 0) throw new Error('no TCP packet was rewritten');
  return out;
}

/** Byte offsets of a little-endian microsecond pcap's records. */
function recordOffsets(pcap: Uint8Array): number[] {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  if (view.getUint32(0, true) !== 0xa1b2c3d4) throw new Error('a little-endian microsecond pcap is expected');
  const offsets: number[] = [];
  for (let at = 24; at + 16 <= pcap.length; at += 16 + view.getUint32(at + 8, true)) offsets.push(at);
  return offsets;
}

/**
 * A capture cut in two files before its record `at` (0-based); the second
 * file's times moved `seconds` later, as when a capture was restarted.
 */
export function splitWithGap(pcap: Uint8Array, at: number, seconds: number): [Uint8Array, Uint8Array] {
  const offsets = recordOffsets(pcap);
  const cut = offsets[at]!;
  const first = pcap.slice(0, cut);
  const second = new Uint8Array(24 + pcap.length - cut);
  second.set(pcap.subarray(0, 24));
  second.set(pcap.subarray(cut), 24);
  const view = new DataView(second.buffer);
  for (const offset of recordOffsets(second)) view.setUint32(offset, view.getUint32(offset, true) + seconds, true);
  return [first, second];
}
