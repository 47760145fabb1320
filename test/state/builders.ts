/**
 * Small builders for state machine tests: hand-built segments between a
 * client 10.0.0.1:40000 and a server 10.0.0.2:80 (sequence numbers from
 * CISN and SISN), fed to a tracker one reused PacketView at a time, as the
 * decoder does.
 */
import { ACK, FIN, PacketKind, PacketView, SYN } from '../../src/decode/packet.js';
import { toConnectionRecord } from '../../src/flow/lifecycle.js';
import { FlowTracker } from '../../src/flow/tracker.js';
import type { ConnectionRecord } from '../../src/records.js';

const C = 0x0a000001; // 10.0.0.1
const S = 0x0a000002; // 10.0.0.2
export const CISN = 1000;
export const SISN = 5000;

export interface Seg {
  from: 'c' | 's';
  flags: number;
  seq: number;
  ack?: number;
  len?: number;
  win?: number;
  t: number;
  port?: number;
  /** TTL (default 64: no router on the way). */
  ttl?: number;
  /** TCP timestamp value (default 0: no timestamp option). */
  tsval?: number;
}

/** Feeds hand-built segments to a tracker, one reused PacketView as the decoder does; calls `each` after every packet. */
export function feed(tracker: FlowTracker, segments: Seg[], each?: () => void): void {
  const p = new PacketView();
  segments.forEach((s, i) => {
    p.clear();
    p.kind = PacketKind.Tcp;
    p.ipVersion = 4;
    p.frameNo = i + 1;
    p.ts = 1000 + s.t;
    const port = s.port ?? 40000;
    p.src[0] = s.from === 'c' ? C : S;
    p.dst[0] = s.from === 'c' ? S : C;
    p.srcPort = s.from === 'c' ? port : 80;
    p.dstPort = s.from === 'c' ? 80 : port;
    p.ipTtl = s.ttl ?? 64;
    p.flags = s.flags;
    p.seq = s.seq >>> 0;
    p.ack = (s.ack ?? 0) >>> 0;
    p.payloadLen = s.len ?? 0;
    p.window = s.win ?? 1000;
    p.tsVal = s.tsval ?? 0;
    tracker.onPacket(p);
    each?.();
  });
}

export function run(segments: Seg[], options: Partial<{ timeWait: number; stuckAfter: number; maxLive: number }> = {}) {
  const records: ConnectionRecord[] = [];
  const tracker = new FlowTracker({ stuckAfter: 10, timeWait: 60, maxLive: 1000, keepSegments: 0, ...options }, (summary, log) => records.push(toConnectionRecord(summary, log)));
  feed(tracker, segments);
  tracker.finish();
  return { records, tracker };
}

/** The record of the connection on client port 40000 (the one under test), when others only make the capture run on. */
export function connection(segments: Seg[], options: Parameters<typeof run>[1] = {}): ConnectionRecord {
  return run(segments, options).records.find((r) => r.client.endsWith(':40000'))!;
}

export const handshake = (t = 0, port?: number): Seg[] => [
  { from: 'c', flags: SYN, seq: CISN, t, port },
  { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: t + 0.001, port },
  { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, t: t + 0.002, port },
];

/** A packet of another connection at `t`: the capture runs on until then. */
export const captureRunsTo = (t: number): Seg => ({ from: 'c', flags: SYN, seq: 1, t, port: 40999 });

/** The client's FIN at `t`, after `sent` bytes of data, acknowledging what the server sent (`got` bytes). */
export const clientFin = (t: number, sent = 0, got = 0): Seg => ({ from: 'c', flags: FIN | ACK, seq: CISN + 1 + sent, ack: SISN + 1 + got, t });
export const serverFin = (t: number, sent = 0, got = 0): Seg => ({ from: 's', flags: FIN | ACK, seq: SISN + 1 + sent, ack: CISN + 1 + got, t });
export const clientAck = (t: number, sent = 0, got = 0): Seg => ({ from: 'c', flags: ACK, seq: CISN + 1 + sent, ack: SISN + 1 + got, t });
export const serverAck = (t: number, sent = 0, got = 0): Seg => ({ from: 's', flags: ACK, seq: SISN + 1 + sent, ack: CISN + 1 + got, t });

/** The side's transitions as `to (cause)`, in order. */
export const path = (r: ConnectionRecord, side: 'client' | 'server'): string[] =>
  r.transitions.filter((x) => x.side === side).map((x) => `${x.to}${x.inferred ? '?' : ''} (${x.cause})`);

/** The segments as a classic pcap of raw IPv4 (link type 101), for tests that run the command line on them. */
export function pcapOf(segments: Seg[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(101, 20);
  const records = segments.map((s) => {
    const r = Buffer.alloc(16 + 40);
    const ts = 1_800_000_000 + s.t;
    r.writeUInt32LE(Math.floor(ts), 0);
    r.writeUInt32LE(Math.round((ts - Math.floor(ts)) * 1e6), 4);
    r.writeUInt32LE(40, 8);
    r.writeUInt32LE(40 + (s.len ?? 0), 12);
    const ip = 16;
    r[ip] = 0x45;
    r.writeUInt16BE(40 + (s.len ?? 0), ip + 2);
    r[ip + 8] = s.ttl ?? 64;
    r[ip + 9] = 6;
    r.writeUInt32BE(s.from === 'c' ? C : S, ip + 12);
    r.writeUInt32BE(s.from === 'c' ? S : C, ip + 16);
    const tcp = ip + 20;
    const port = s.port ?? 40000;
    r.writeUInt16BE(s.from === 'c' ? port : 80, tcp);
    r.writeUInt16BE(s.from === 'c' ? 80 : port, tcp + 2);
    r.writeUInt32BE(s.seq >>> 0, tcp + 4);
    r.writeUInt32BE((s.ack ?? 0) >>> 0, tcp + 8);
    r[tcp + 12] = 0x50;
    r[tcp + 13] = s.flags;
    r.writeUInt16BE(s.win ?? 1000, tcp + 14);
    return r;
  });
  return Buffer.concat([header, ...records]);
}
