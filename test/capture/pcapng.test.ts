/**
 * pcapng: real files against tshark frame by frame, then the block kinds
 * and damage no capture tool of ours writes, built byte by byte.
 */
import test from 'ava';
import path from 'node:path';
import { PcapngParser, unitsToSeconds } from '../../src/capture/pcapng.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { readCapture } from '../../src/capture/source.js';
import { load, readChunked, readWhole, type FrameCopy } from './frames.js';
import { tsharkFrames } from './tshark-oracle.js';
import { BE, LE, block, bytesOf, endOfOptions, epb, idb, opb, option, shb, spb, type Order } from './pcapng-builder.js';
import { loadManifest, readsCleanly } from '../helpers/manifest.js';
import { ROOT } from '../helpers/paths.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/capture');
const realPcapng = [
  ...loadManifest().filter((row) => row.format === 'pcapng' && readsCleanly(row)).map((row) => row.path),
  path.join(FIXTURES, 'lo-nano.pcapng'),
  path.join(FIXTURES, 'two-interfaces.pcapng'),
  path.join(FIXTURES, 'two-sections.pcapng'),
];

for (const file of realPcapng) {
  test(`${path.basename(file)}: every frame's time, lengths, interface and bytes as tshark reads them`, (t) => {
    const ours = readWhole(load(file));
    const theirs = tsharkFrames(file);
    t.is(ours.error, undefined);
    t.is(ours.warning, undefined);
    t.is(ours.frames.length, theirs.length);
    theirs.forEach((f, i) => {
      const o = ours.frames[i]!;
      const label = `frame ${i + 1}`;
      t.is(o.md5, f.md5, label);
      t.is(o.origLen, f.len, label);
      t.is(o.capLen, f.capLen, label);
      t.is(o.interfaceId, f.interfaceId, label);
      t.true(Math.abs(o.ts - Number(f.time)) < 3e-7, `${label}: ${o.ts} vs ${f.time}`);
    });
  });
}

function readWithParser(bytes: Uint8Array): { frames: FrameCopy[]; parser: PcapngParser } {
  const outcome = readWhole(bytes);
  const reader = new CaptureReader('x', () => {});
  reader.push(bytes);
  return { frames: outcome.frames, parser: reader.formatParser as PcapngParser };
}

test('126 interfaces of three link types: each frame carries its interface\'s link type', (t) => {
  const { frames, parser } = readWithParser(load(path.join(ROOT, '../shared/captures-public/zeek-pcapng-126-idbs-ldap-gap.pcapng')));
  t.is(parser.interfaceCount, 126);
  t.deepEqual([...new Set(parser.linkTypes)].sort((a, b) => a - b), [1, 113, 274]);
  t.is(frames.length, 18);
  for (const f of frames) t.is<number | undefined, number | undefined>(f.linkType, parser.linkTypes[f.interfaceId]);
});

test('two interfaces merged from lo (Ethernet, nanoseconds) and any (Linux SLL2, microseconds)', (t) => {
  const { frames, parser } = readWithParser(load(path.join(FIXTURES, 'two-interfaces.pcapng')));
  t.deepEqual(parser.linkTypes, [1, 276]);
  t.deepEqual([...new Set(frames.map((f) => `${f.interfaceId}:${f.linkType}`))].sort(), ['0:1', '1:276']);
});

test('a second section forgets the first one\'s interfaces and starts its own', (t) => {
  const { frames, parser } = readWithParser(load(path.join(FIXTURES, 'two-sections.pcapng')));
  t.is(parser.sections, 2);
  t.is(parser.interfaceCount, 2);
  t.is(frames.length, 90);
  t.true(frames.slice(0, 30).every((f) => f.interfaceId === 0 && f.linkType === 1));
  t.true(frames.slice(30).some((f) => f.interfaceId === 1 && f.linkType === 276));
});

const payload = [0x45, 0, 0, 20, 1, 2, 3, 4, 5, 6, 7];

function simpleCapture(o: Order): Uint8Array {
  return bytesOf(
    shb(o),
    idb(101, 0, o, [...option(9, [6], o), ...endOfOptions(o)]),
    block(0x0bad, [1, 2, 3, 4], o), // unknown block type: skipped
    block(4, [0, 0, 0, 0], o), // name resolution block: skipped
    epb(0, 395_812, 404_759_104, payload, o, 1500), // 1 700 000 000 123 456 microseconds
  );
}

test('a big-endian section reads the same frames as its little-endian twin', (t) => {
  const le = readWhole(simpleCapture(LE));
  const be = readWhole(simpleCapture(BE));
  t.is(le.frames.length, 1);
  t.is(le.frames[0]!.linkType, 101);
  t.is(le.frames[0]!.capLen, payload.length);
  t.is(le.frames[0]!.origLen, 1500);
  t.is(le.frames[0]!.ts, 1_700_000_000.123456);
  t.is(le.frames[0]!.fileOffset, 28 + 32 + 16 + 16); // SHB, IDB with if_tsresol, two skipped blocks
  t.deepEqual(be, le);
});

test('sections of both byte orders in one file are each read in their own order', (t) => {
  const le = simpleCapture(LE);
  const be = simpleCapture(BE);
  const outcome = readWhole(bytesOf([...le], [...be], [...le]));
  t.is(outcome.frames.length, 3);
  t.deepEqual(outcome.frames.map((f) => f.md5), Array(3).fill(outcome.frames[0]!.md5));
  t.deepEqual(outcome.frames.map((f) => f.frameNo), [1, 2, 3]);
});

test('a simple packet block uses interface 0, the shortest of wire length, snaplen and block room, and the previous timestamp', (t) => {
  for (const o of [LE, BE]) {
    const data = Array.from({ length: 40 }, (_, i) => i);
    const bytes = bytesOf(
      shb(o), idb(1, 30, o), epb(0, 0, 5_000_000, payload, o),
      spb(1000, data, o), // cut by the snaplen: 30
      spb(12, data.slice(0, 12), o), // shorter than the snaplen: 12
      spb(1000, data.slice(0, 20), o), // cut by the block room: 20
    );
    const { frames } = readWhole(bytes);
    t.deepEqual(frames.map((f) => [f.capLen, f.origLen, f.ts, f.interfaceId]), [
      [payload.length, payload.length, 5, 0], [30, 1000, 5, 0], [12, 12, 5, 0], [20, 1000, 5, 0],
    ]);
  }
});

test('an obsolete packet block (type 2) is read like an enhanced one', (t) => {
  const o = LE;
  const { frames } = readWhole(bytesOf(shb(o), idb(1, 0, o), idb(113, 0, o), opb(1, 0, 2_000_000, payload, o)));
  t.is(frames.length, 1);
  t.is(frames[0]!.interfaceId, 1);
  t.is(frames[0]!.linkType, 113);
  t.is(frames[0]!.ts, 2);
});

test('if_tsresol in its power-of-two form counts 2^-n seconds', (t) => {
  const o = LE;
  const { frames } = readWhole(bytesOf(shb(o), idb(1, 0, o, option(9, [0x80 | 10], o)), epb(0, 0, 3 * 1024 + 512, payload, o)));
  t.is(frames[0]!.ts, 3.5);
});

test('nanosecond counts beyond 2^53 keep their whole seconds exact', (t) => {
  const ns = 1_700_000_000_123_456_789n;
  const hi = Number(ns >> 32n);
  const lo = Number(ns & 0xffffffffn);
  const o = BE;
  const { frames } = readWhole(bytesOf(shb(o), idb(1, 0, o, option(9, [9], o)), epb(0, hi, lo, payload, o)));
  t.is(Math.floor(frames[0]!.ts), 1_700_000_000);
  t.true(Math.abs(frames[0]!.ts - 1_700_000_000.123456789) < 2.4e-7);
  t.is(Math.floor(unitsToSeconds(0xffffffff, 0xffffffff, 1e9)), 18_446_744_073);
});

test('if_tsoffset adds whole seconds, negative ones too', (t) => {
  for (const o of [LE, BE]) {
    const offsetOption = (value: number): number[] => {
      const words = [value < 0 ? 0xffffffff : 0, value >>> 0];
      const wordBytes = (w: number): number[] => (o.le ? [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24] : [w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff]);
      return option(14, o.le ? [...wordBytes(words[1]!), ...wordBytes(words[0]!)] : [...wordBytes(words[0]!), ...wordBytes(words[1]!)], o);
    };
    const { frames } = readWhole(bytesOf(
      shb(o), idb(1, 0, o, offsetOption(1000)), idb(1, 0, o, offsetOption(-100)),
      epb(0, 0, 200_000_000, payload, o), epb(1, 0, 200_000_000, payload, o),
    ));
    t.deepEqual(frames.map((f) => f.ts), [1200, 100]);
  }
});

test('a time before 1970 or past 9999 takes the previous packet\'s time (0 before any), and is counted with its first frame', (t) => {
  const micro = option(9, [6, 0, 0, 0], LE);
  const reader = new CaptureReader('x', (f) => times.push(f.ts));
  const times: number[] = [];
  reader.push(bytesOf(
    shb(LE), idb(1, 0, LE, micro),
    epb(0, 0xffffffff, 0, payload, LE), // 1.8e13 s: past what a Date shows
    epb(0, 0, 5_000_000, payload, LE),
    epb(0, 0x80000000, 0, payload, LE),
  ));
  t.deepEqual(times, [0, 5, 5]);
  t.deepEqual(reader.impossible, { count: 2, firstFrame: 1 });
});

/** Builds a capture whose last block is damaged and checks where and how the reader stops. */
function damaged(t: import('ava').ExecutionContext, blocks: number[][], reason: RegExp, frames = 1): void {
  const bytes = bytesOf(...blocks);
  const offset = blocks.slice(0, -1).reduce((n, b) => n + b.length, 0);
  for (const size of [bytes.length, 5]) {
    const outcome = readChunked(bytes, size);
    t.is(outcome.frames.length, frames, `chunks of ${size}`);
    t.is(outcome.error?.kind, 'corrupt', `chunks of ${size}`);
    t.true(outcome.error!.offset >= offset && outcome.error!.offset < bytes.length, `offset ${outcome.error!.offset} in the damaged block at ${offset}`);
    t.regex(outcome.error!.message, reason);
  }
}

const ok = (o: Order = LE): number[][] => [shb(o), idb(1, 0, o), epb(0, 0, 1, payload, o)];

test('a packet before any interface description is corrupt at its block', (t) => {
  damaged(t, [shb(LE), epb(0, 0, 1, payload, LE)], /names interface 0, but its section has 0/, 0);
  damaged(t, [shb(LE), spb(10, payload, LE)], /simple packet block before any interface/, 0);
});

test('a new section forgets earlier interfaces: a packet naming one is corrupt', (t) => {
  damaged(t, [...ok(), shb(BE), epb(0, 0, 1, payload, BE)], /names interface 0, but its section has 0/);
});

test('a packet naming an interface its section lacks is corrupt', (t) => {
  damaged(t, [...ok(), epb(3, 0, 1, payload, LE)], /names interface 3, but its section has 1/);
});

test('leading and trailing block lengths that disagree are corrupt', (t) => {
  damaged(t, [...ok(), block(6, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], LE, 36)], /disagrees with its trailing copy 36/);
});

test('block lengths below 12 or not a multiple of 4 are corrupt', (t) => {
  damaged(t, [...ok(), [6, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0]], /below 12/);
  damaged(t, [...ok(), [6, 0, 0, 0, 14, 0, 0, 0, 0, 0, 14, 0, 0, 0]], /not a multiple of 4/);
});

test('a packet whose captured length overruns its block is corrupt', (t) => {
  const good = epb(0, 0, 1, payload, LE);
  good[20] = 200; // captured length 200 in a 44-byte block
  damaged(t, [...ok(), good], /200 captured bytes overruns its 44-byte block/);
});

test('an interface option that overruns its block is corrupt', (t) => {
  damaged(t, [...ok(), idb(1, 0, LE, [9, 0, 40, 0, 6, 0, 0, 0])], /option 9 of 40 bytes overruns/);
});

test('a later section header without a valid byte-order magic is corrupt', (t) => {
  const bad = shb(LE);
  bad[8] = 0;
  damaged(t, [...ok(), bad], /byte-order magic/);
});

test('a first section header of an unknown major version is no usable capture', async (t) => {
  const bad = shb(LE);
  bad[12] = 2;
  const error = await t.throwsAsync(readCapture(bytesOf(bad, idb(1, 0, LE)), 'v2.pcapng', () => {}));
  t.is((error as { kind?: string }).kind, 'not-capture');
  t.regex(error!.message, /unsupported pcapng version 2\.0/);
});
