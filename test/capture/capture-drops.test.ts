/**
 * The capture's own loss: pcapng interface statistics (isb_ifdrop,
 * isb_osdrop, the latest block of each interface counting) and per-packet
 * drop counts (epb_dropcount) are read into the summary and warned about.
 */
import test from 'ava';
import { runPipeline } from '../../src/analyze.js';
import { readCapture } from '../../src/capture/source.js';
import type { OutputRecord, SummaryRecord } from '../../src/records.js';
import { BE, bytesOf, endOfOptions, epb, idb, isb, LE, option, shb, u64, type Order } from './pcapng-builder.js';

const IFDROP = 5;
const OSDROP = 7;
const DROPCOUNT = 4;

/** Raw IPv4 TCP SYN, 40 bytes. */
const SYN = [0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x9c, 0x40, 0, 80, 0, 0, 3, 0xe8, 0, 0, 0, 0, 0x50, 0x02, 0x10, 0, 0, 0, 0, 0];

function capture(o: Order): Uint8Array {
  return bytesOf(
    shb(o),
    idb(101, 0, o),
    idb(101, 0, o),
    epb(0, 0, 1, SYN, o, SYN.length, [...option(DROPCOUNT, u64(5, o), o), ...endOfOptions(o)]),
    isb(0, 0, 2, o, [...option(IFDROP, u64(3, o), o), ...endOfOptions(o)]),
    isb(0, 0, 3, o, [...option(IFDROP, u64(7, o), o), ...option(OSDROP, u64(2, o), o), ...endOfOptions(o)]), // cumulative: the latest counts
    isb(1, 0, 3, o, [...option(IFDROP, u64(1, o), o), ...endOfOptions(o)]),
    shb(o), // a second section: the first one's counts stay
    idb(101, 0, o),
    isb(0, 0, 4, o, [...option(OSDROP, u64(2 ** 33, o), o), ...endOfOptions(o)]),
    isb(9, 0, 4, o, [...option(IFDROP, u64(100, o), o), ...endOfOptions(o)]), // no such interface: skipped
  );
}

for (const o of [LE, BE]) {
  test(`pcapng drop counters are read in ${o.le ? 'little' : 'big'}-endian sections: epb_dropcount, and each interface's latest statistics`, async (t) => {
    const result = await readCapture(capture(o), 'x.pcapng', () => {});
    t.is(result.droppedPackets, 5 + 7 + 2 + 1 + 2 ** 33);
    t.is(result.frames, 1);
  });
}

test('the summary counts what the capture dropped and warns not to blame the network', async (t) => {
  const records: OutputRecord[] = [];
  await runPipeline(capture(LE), {}, (r) => records.push(r));
  const summary = records.at(-1) as SummaryRecord;
  t.is(summary.counts.capture_drops, 5 + 7 + 2 + 1 + 2 ** 33);
  t.true(summary.warnings.some((w) => /the capture dropped 8589934607 packet\(s\), by its own interface statistics: do not blame the network/.test(w)));
});

test('a pcap file records no drops: none counted, no warning', async (t) => {
  const records: OutputRecord[] = [];
  await runPipeline('captures/client-close.pcap', {}, (r) => records.push(r));
  const summary = records.at(-1) as SummaryRecord;
  t.is(summary.counts.capture_drops, 0);
  t.false(summary.warnings.some((w) => /dropped/.test(w)));
});
