/**
 * Length fields are not trusted: a record or block claiming more than the
 * cap is corrupt at its own offset, the frames before it are delivered, and
 * the carry buffer does not grow towards what the field claims.
 */
import test from 'ava';
import path from 'node:path';
import { DEFAULT_MAX_PCAP_RECORD } from '../../src/capture/pcap.js';
import { DEFAULT_MAX_PCAPNG_BLOCK } from '../../src/capture/pcapng.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { load, readChunked, readWhole } from './frames.js';
import { PUBLIC_CAPTURES, ROOT } from '../helpers/paths.js';

const INITIAL_CARRY = 64 * 1024;

function writeU32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff; b[o + 1] = (v >>> 8) & 0xff; b[o + 2] = (v >>> 16) & 0xff; b[o + 3] = v >>> 24;
}

/** A real pcap whose third record's captured length claims 2 GiB. */
function pcapClaiming2GiB(): { bytes: Uint8Array; offset: number } {
  const bytes = load(path.join(PUBLIC_CAPTURES, 'zeek-tcp-ssh-dups.pcap'));
  const offsets = readWhole(bytes).frames.map((f) => f.fileOffset);
  const offset = offsets[2]!;
  writeU32le(bytes, offset + 8, 0x80000000);
  return { bytes, offset };
}

test('a pcap record claiming 2 GiB is corrupt at its offset after the two records before it, read whole', (t) => {
  const { bytes, offset } = pcapClaiming2GiB();
  const outcome = readWhole(bytes);
  t.is(outcome.frames.length, 2);
  t.is(outcome.error?.kind, 'corrupt');
  t.is(outcome.error?.offset, offset);
  t.regex(outcome.error!.message, /2147483648 captured bytes, more than the 262144-byte limit/);
  t.is(outcome.carryCapacity, INITIAL_CARRY);
});

test('a pcap record claiming 2 GiB split across chunks is corrupt at the same offset without growing the carry buffer', (t) => {
  const { bytes, offset } = pcapClaiming2GiB();
  for (const size of [1, 7, 16, 100, 4096]) {
    const outcome = readChunked(bytes, size);
    t.is(outcome.frames.length, 2, `chunks of ${size}`);
    t.is(outcome.error?.offset, offset, `chunks of ${size}`);
    t.is(outcome.carryCapacity, INITIAL_CARRY, `chunks of ${size}`);
  }
});

test('after a corrupt record the reader refuses further input with the same error', (t) => {
  const { bytes } = pcapClaiming2GiB();
  const reader = new CaptureReader('x.pcap', () => {});
  const first = t.throws(() => reader.push(bytes));
  t.is(t.throws(() => reader.push(new Uint8Array(10))), first);
  t.is(t.throws(() => reader.end()), first);
});

test('a pcapng block claiming 2 GiB is corrupt at its offset without growing the carry buffer', (t) => {
  const bytes = load(path.join(ROOT, 'test/fixtures/capture/lo-nano.pcapng'));
  const whole = readWhole(bytes);
  const offset = whole.frames[4]!.fileOffset;
  writeU32le(bytes, offset + 4, 0x80000000);
  for (const size of [3, 64, bytes.length]) {
    const outcome = readChunked(bytes, size);
    t.is(outcome.frames.length, 4);
    t.is(outcome.error?.kind, 'corrupt');
    t.is(outcome.error?.offset, offset);
    t.regex(outcome.error!.message, /2147483648 bytes, more than the 16777216-byte limit/);
    t.is(outcome.carryCapacity, INITIAL_CARRY);
  }
});

test('a record split across small chunks grows the carry buffer to fit it, and no further than the cap', (t) => {
  // One 80094-byte packet (an 80000-byte IPv6 BIG TCP segment and its headers).
  const bytes = load(path.join(PUBLIC_CAPTURES, 'tcpdump-ipv6-hbh-bigtcp.pcap'));
  const outcome = readChunked(bytes, 1000);
  t.is(outcome.frames.length, 1);
  t.is(outcome.frames[0]!.capLen, 80094);
  t.true(outcome.carryCapacity >= 16 + 80094);
  t.true(outcome.carryCapacity <= 16 + DEFAULT_MAX_PCAP_RECORD);
});

test('maxRecord lowers the limit: a record above it is corrupt at its offset', (t) => {
  const bytes = load(path.join(PUBLIC_CAPTURES, 'tcpdump-ipv6-hbh-bigtcp.pcap'));
  const outcome = readWhole(bytes, { maxRecord: 65535 });
  t.is(outcome.frames.length, 0);
  t.is(outcome.error?.kind, 'corrupt');
  t.is(outcome.error?.offset, 24);
});

test('maxRecord also bounds a pcapng packet, though its block is under the block cap', (t) => {
  const bytes = load(path.join(PUBLIC_CAPTURES, 'tcpdump-pcapng-of13-ericsson.pcapng'));
  const whole = readWhole(bytes);
  const big = whole.frames.findIndex((f) => f.capLen > 300); // the 7th, 434 bytes
  const outcome = readWhole(bytes, { maxRecord: 300 });
  t.true(big > 0);
  t.is(outcome.frames.length, big);
  t.is(outcome.error?.kind, 'corrupt');
  t.is(outcome.error?.offset, whole.frames[big]!.fileOffset);
  t.regex(outcome.error!.message, /434 captured bytes exceeds the 300-byte limit/);
});

test('records longer than the header snaplen are read, as libpcap and tshark read them', (t) => {
  const bytes = load(path.join(PUBLIC_CAPTURES, 'zeek-tcp-ssh-dups.pcap'));
  const whole = readWhole(bytes);
  writeU32le(bytes, 16, 60); // snaplen 60, far below most records
  const small = readWhole(bytes);
  t.true(whole.frames.some((f) => f.capLen > 60));
  t.deepEqual(small.frames, whole.frames);
  t.is(small.error, undefined);
});

test('the pcapng block cap defaults to 16 MiB and the pcap record cap to 256 KiB', (t) => {
  t.is(DEFAULT_MAX_PCAPNG_BLOCK, 16 * 1024 * 1024);
  t.is(DEFAULT_MAX_PCAP_RECORD, 262144);
});
