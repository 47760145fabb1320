/** A ladder keeps a connection's first and last segments, and says how many it left out between them. */
import test from 'ava';
import { SegmentLog } from '../../src/flow/segment-log.js';

function fill(log: SegmentLog, count: number): void {
  for (let i = 1; i <= count; i++) log.add(i, 1000 + i, i * 10, 0, i, 500, i === 1 ? 0x02 : 0x10, i % 2 === 1, i === 7);
}

test('a short connection is kept whole, in order', (t) => {
  const log = new SegmentLog();
  log.reset(6);
  fill(log, 5);
  const kept = log.toSummaries(String);
  t.deepEqual(kept.map((s) => s.frame), [1, 2, 3, 4, 5]);
  t.false(kept.some((s) => s.skipped_before !== undefined));
  t.is(kept[0]!.from, 'client');
  t.is(kept[0]!.flags, '2');
});

test('a long connection keeps its first and last halves; the first of the last says how many were left out', (t) => {
  const log = new SegmentLog();
  log.reset(6);
  fill(log, 1000);
  const kept = log.toSummaries(String);
  t.deepEqual(kept.map((s) => s.frame), [1, 2, 3, 998, 999, 1000]);
  t.is(kept[3]!.skipped_before, 994);
  t.is(log.length, 1000);
  t.deepEqual(kept.map((s) => s.seq), [10, 20, 30, 9980, 9990, 10000]);
});

test('every length around the ring\'s size gives first and last in order; a reset log starts empty', (t) => {
  const log = new SegmentLog();
  for (let count = 0; count <= 20; count++) {
    log.reset(7);
    fill(log, count);
    const frames = log.toSummaries(String).map((s) => s.frame);
    const expected = count <= 7 ? Array.from({ length: count }, (_, i) => i + 1) : [1, 2, 3, 4, ...Array.from({ length: 3 }, (_, i) => count - 2 + i)];
    t.deepEqual(frames, expected, `${count} segments`);
  }
  log.reset(8);
  fill(log, 8);
  t.deepEqual(log.toSummaries(String).filter((s) => s.retransmission).map((s) => s.frame), [7]);
});
