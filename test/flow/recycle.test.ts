/**
 * Lifecycles are recycled once their record is out. A recycled one must be
 * as good as new: every field, down to the endpoints and the transition log,
 * is set again, and whole captures give the same records either way.
 */
import test from 'ava';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Decoder } from '../../src/decode/frame-decoder.js';
import { PacketKind, PacketView, SYN } from '../../src/decode/packet.js';
import { Lifecycle, toConnectionRecord } from '../../src/flow/lifecycle.js';
import { SegmentLog } from '../../src/flow/segment-log.js';
import { FlowTracker } from '../../src/flow/tracker.js';
import { readCapture } from '../../src/capture/source.js';
import type { ConnectionRecord } from '../../src/records.js';
import { ConnectionMachine } from '../../src/state/machine.js';
import { Endpoint } from '../../src/state/endpoint.js';
import { TransitionLog } from '../../src/state/transition-log.js';
import { CAPTURES } from '../helpers/paths.js';

/** A log is its length and its entries up to it; the storage past them is overwritten before it is read. */
const logEntries = (log: TransitionLog) => Array.from({ length: log.length }, (_, i) => [log.ts(i), log.frame(i), log.code(i)]);

/** Gives every primitive field, at any depth, a value no constructor sets. Typed arrays are storage the owner overwrites. */
function scramble(o: object, seen = new Set<object>()): void {
  if (seen.has(o)) return;
  seen.add(o);
  if (o instanceof TransitionLog) {
    o.push(7777, 7777, 7777);
    return;
  }
  if (o instanceof SegmentLog) {
    for (let i = 0; i < 9; i++) o.add(7777, 7777, 7777, 7777, 7777, 7777, 0x12, true, true);
    return;
  }
  for (const [key, value] of Object.entries(o)) {
    if (ArrayBuffer.isView(value)) continue;
    if (value !== null && typeof value === 'object') scramble(value as object, seen);
    else (o as Record<string, unknown>)[key] = typeof value === 'boolean' ? !value : typeof value === 'string' ? 'scrambled' : 7777;
  }
}

/** Every primitive field at any depth, by its path. */
function primitives(o: object, prefix = '', out: Record<string, unknown> = {}, seen = new Set<object>()): Record<string, unknown> {
  if (seen.has(o)) return out;
  seen.add(o);
  if (o instanceof TransitionLog) {
    out[`${prefix}entries`] = JSON.stringify(logEntries(o));
    return out;
  }
  if (o instanceof SegmentLog) {
    out[`${prefix}segments`] = JSON.stringify(o.toSummaries(String));
    return out;
  }
  for (const [key, value] of Object.entries(o)) {
    if (ArrayBuffer.isView(value)) continue;
    if (value !== null && typeof value === 'object') primitives(value as object, `${prefix}${key}.`, out, seen);
    else out[`${prefix}${key}`] = value;
  }
  return out;
}

test('an endpoint reset is a new endpoint', (t) => {
  for (const state of ['CLOSED', 'UNKNOWN'] as const) {
    const used = new Endpoint();
    scramble(used);
    used.reset(state);
    const fresh = new Endpoint();
    fresh.state = state;
    t.deepEqual(primitives(used), primitives(fresh));
  }
});

test('a machine reset is a new machine, its log empty', (t) => {
  const used = new ConnectionMachine();
  used.apply('client', { ts: 1, frame: 1, flags: SYN, seq: 1, ack: 0, len: 0, window: 100, wscale: 7, ttl: 64, tsVal: 0 }, { retransmission: false, rstAccepted: false, rejectedSyn: false });
  scramble(used);
  used.reset(false);
  t.deepEqual(primitives(used), primitives(new ConnectionMachine()));
  t.is(used.log.length, 0);
});

test('a lifecycle begun again is the lifecycle a new one begins', (t) => {
  const pkt = new PacketView();
  pkt.kind = PacketKind.Tcp;
  pkt.ipVersion = 4;
  pkt.src[0] = 0x0a000001;
  pkt.dst[0] = 0x0a000002;
  pkt.srcPort = 40000;
  pkt.dstPort = 80;
  pkt.flags = SYN;
  pkt.frameNo = 5;
  pkt.ts = 1000;
  const used = new Lifecycle().begin(pkt, true, 'syn', 'a.pcap', 4);
  used.apply(pkt);
  used.noteDuplicate(6, used.file);
  scramble(used);
  used.begin(pkt, true, 'syn', 'a.pcap', 4);
  const fresh = new Lifecycle().begin(pkt, true, 'syn', 'a.pcap', 4);
  t.deepEqual(primitives(used), primitives(fresh));
});

async function records(file: string, recycleLimit: number): Promise<ConnectionRecord[]> {
  const out: ConnectionRecord[] = [];
  const tracker = new FlowTracker({ stuckAfter: 2, timeWait: 60, maxLive: 1_000_000, keepSegments: 8, recycleLimit }, (s, log) => out.push(toConnectionRecord(s, log)));
  const decoder = new Decoder();
  const pkt = new PacketView();
  await readCapture(file, file, (frame) => {
    if (decoder.decode(frame, pkt) === PacketKind.Tcp) tracker.onPacket(pkt, file);
  });
  tracker.finish();
  return out;
}

test('every kernel capture gives the same records with and without recycling', async (t) => {
  const files = readdirSync(CAPTURES).filter((f) => /\.pcap(ng)?$/.test(f));
  let recycledRecords = 0;
  for (const f of files) {
    const file = path.join(CAPTURES, f);
    const fresh = await records(file, 0);
    t.deepEqual(await records(file, 4096), fresh, f);
    recycledRecords += fresh.length;
  }
  t.true(recycledRecords > 500);
});
