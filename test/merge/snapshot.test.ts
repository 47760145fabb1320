/**
 * A lifecycle snapshot carries every field of the lifecycle's state: on
 * lifecycles live at the end of real captures (kernel and public), each
 * field of a restored lifecycle equals the original's, through the byte
 * format, and a lifecycle restored and adopted by another tracker goes on
 * to make the records the original makes.
 */
import test from 'ava';
import path from 'node:path';
import { readCapture } from '../../src/capture/source.js';
import { Decoder } from '../../src/decode/frame-decoder.js';
import { PacketKind, PacketView } from '../../src/decode/packet.js';
import { Lifecycle } from '../../src/flow/lifecycle.js';
import { FlowTracker, type TrackerWatch } from '../../src/flow/tracker.js';
import { ByteWriter, pack, unpack } from '../../src/merge/bytes.js';
import { capture, readSnapshot, restore, SNAPSHOT_FIELDS, writeSnapshot } from '../../src/merge/snapshot.js';
import { toConnectionRecord } from '../../src/flow/lifecycle.js';
import type { ConnectionSummary } from '../../src/records.js';
import type { TransitionLogView } from '../../src/state/transition-log.js';
import { CAPTURES, PUBLIC_CAPTURES } from '../helpers/paths.js';

const OPTIONS = { stuckAfter: 10, timeWait: 60, maxLive: 1_000_000, keepSegments: 0 };

/** Every own field, nested objects and typed arrays flattened, links and left-out fields aside, as path -> value. */
function fields(l: Lifecycle): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (let i = 0; i < SNAPSHOT_FIELDS.length; i++) out.set(SNAPSHOT_FIELDS[i]!.path, capture(l)[i]);
  return out;
}

async function packets(file: string): Promise<PacketView[]> {
  const decoder = new Decoder();
  const list: PacketView[] = [];
  await readCapture(file, file, (frame) => {
    const p = new PacketView();
    if (decoder.decode(frame, p) === PacketKind.Tcp) list.push(p);
  });
  return list;
}

const watchOpen = (open: (l: Lifecycle) => void): TrackerWatch => ({ begin() {}, packet() {}, ended() {}, open });

const FILES = [
  ...['close-wait-leak', 'simultaneous-close', 'simultaneous-open', 'accept-queue-overflow', 'half-close-stream', 'zero-window', 'midstream', 'syn-flood', 'time-wait-storm', 'last-ack-lost-ack'].map((n) => path.join(CAPTURES, `${n}.pcap`)),
  path.join(PUBLIC_CAPTURES, 'zeek-ssh.pcap'),
  path.join(PUBLIC_CAPTURES, 'zeek-tcp-retransmit-fast009.pcap'),
];

test('the snapshot lists the lifecycle, its machine and endpoints, and the transition log', (t) => {
  const paths = SNAPSHOT_FIELDS.map((f) => f.path);
  for (const p of ['addr', 'clientPort', 'firstTs', 'machine.client.state', 'machine.server.sndNxt', 'machine.log', 'machine.rstBy', 'history.low']) t.true(paths.includes(p), p);
  t.false(paths.some((p) => p.includes('Link') || p.includes('segmentLog')));
});

for (const file of FILES) {
  test(`${path.basename(file)}: cut anywhere, restored lifecycles round-trip every field and make the records the originals make`, async (t) => {
    const all = await packets(file);
    const record = (into: string[]) => (s: ConnectionSummary, log: TransitionLogView) => into.push(JSON.stringify(toConnectionRecord(s, log)));
    const expected: string[] = [];
    const whole = new FlowTracker(OPTIONS, record(expected));
    for (const p of all) whole.onPacket(p);
    whole.finish(all.at(-1)!.ts);
    for (const cut of [1, Math.floor(all.length / 3), Math.floor((2 * all.length) / 3), all.length - 1]) {
      const got: string[] = [];
      const w = new ByteWriter();
      const originals: Map<string, unknown>[] = [];
      let finishing = false;
      const first = new FlowTracker(
        { ...OPTIONS, watch: watchOpen((l) => { originals.push(fields(l)); writeSnapshot(w, capture(l)); }) },
        (s, log) => { if (!finishing) record(got)(s, log); },
      );
      for (const p of all.slice(0, cut)) first.onPacket(p);
      finishing = true;
      first.finish(all[cut - 1]!.ts);
      const second = new FlowTracker(OPTIONS, record(got));
      second.advance(all[cut - 1]!.ts);
      const r = unpack(pack(w));
      for (const original of originals) {
        const l = restore(readSnapshot(r));
        t.deepEqual(fields(l), original);
        second.adopt(l);
      }
      t.true(r.done);
      for (const p of all.slice(cut)) second.onPacket(p);
      second.finish(all.at(-1)!.ts);
      t.deepEqual(got.sort(), [...expected].sort(), `cut after packet ${cut}`);
    }
  });
}

test('a half-open handshake\'s snapshot writes only what its packets changed: a flood\'s open lifecycles stay small in the merge state', async (t) => {
  const all = await packets(path.join(PUBLIC_CAPTURES, 'sv-syn-flood-200.pcap'));
  const sizes: number[] = [];
  const restored: Map<string, unknown>[] = [];
  const originals: Map<string, unknown>[] = [];
  const tracker = new FlowTracker(
    {
      ...OPTIONS,
      watch: watchOpen((l) => {
        if (l.machine.client.state !== 'SYN_SENT' && l.machine.server.state !== 'SYN_RECV') return;
        const w = new ByteWriter();
        writeSnapshot(w, capture(l));
        sizes.push(w.length);
        originals.push(fields(l));
        restored.push(fields(restore(readSnapshot(unpack(pack(w))))));
      }),
    },
    () => {},
  );
  for (const p of all) tracker.onPacket(p);
  tracker.finish(all.at(-1)!.ts);
  t.true(sizes.length >= 10, `${sizes.length} half-open handshakes open at the end`);
  // Every field of the state is 149 values; the fields a lone SYN leaves as they were made are not written.
  t.true(Math.max(...sizes) < 180, `largest ${Math.max(...sizes)} bytes`);
  t.deepEqual(restored, originals);
  const fresh = new ByteWriter();
  writeSnapshot(fresh, capture(new Lifecycle()));
  t.true(fresh.length < 100, `a fresh lifecycle: ${fresh.length} bytes`);
});
