/**
 * The reader must not care where chunk boundaries fall: fed in chunks of
 * every size, or split in two at every byte, it delivers exactly the frames
 * of a whole read (the pg-protocol way of testing a chunked decoder).
 */
import test from 'ava';
import path from 'node:path';
import { load, readChunked, readSplit, readWhole, type ReadOutcome } from './frames.js';
import { PUBLIC_CAPTURES, ROOT } from '../helpers/paths.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/capture');
/**
 * Chunk sizes tried: every one up to past the longest record (1,514 bytes of
 * Ethernet here), so that boundaries fall several to a record and at every
 * place in one; a larger chunk cuts a record at most once, at a place the
 * split-in-two test below also cuts it.
 */
const LARGEST_CHUNK = 1600;
const captures = [
  path.join(PUBLIC_CAPTURES, 'tcpdump-be-pptp.pcap'),
  path.join(PUBLIC_CAPTURES, 'tcpdump-sll-nano-tcp-handshake.pcap'),
  path.join(PUBLIC_CAPTURES, 'zeek-tcp-retransmit-timeout.pcapng'),
  path.join(PUBLIC_CAPTURES, 'sv-trailing-partial-record-http.pcap'),
  path.join(FIXTURES, 'two-sections.pcapng'),
];

/** Everything a read yields but the carry size, as one string: cheap to compare thousands of times. */
function fingerprint(outcome: ReadOutcome): string {
  const { carryCapacity: _ignored, ...rest } = outcome;
  return JSON.stringify(rest, (_key, value: unknown) => (value instanceof Error ? { ...value, message: value.message } : value));
}

for (const file of captures) {
  const name = path.basename(file);
  // The large one only at its start: the property does not depend on the file's length.
  const bytes = name.startsWith('sv-trailing') ? load(file).subarray(0, 6000) : load(file);

  const largest = Math.min(bytes.length, LARGEST_CHUNK);
  test(`${name}: chunks of every size from 1 to ${largest} bytes give the frames of a whole read`, (t) => {
    const whole = readWhole(bytes);
    t.true(whole.frames.length > 2);
    const expected = fingerprint(whole);
    for (let size = 1; size <= largest; size++) {
      const chunked = readChunked(bytes, size);
      if (fingerprint(chunked) !== expected) {
        t.deepEqual(chunked, { ...whole, carryCapacity: chunked.carryCapacity }, `chunk size ${size}`);
        return;
      }
    }
    t.pass();
  });

  test(`${name}: split in two at every byte gives the frames of a whole read`, (t) => {
    const whole = readWhole(bytes);
    const expected = fingerprint(whole);
    for (let at = 0; at <= bytes.length; at++) {
      const split = readSplit(bytes, [at]);
      if (fingerprint(split) !== expected) {
        t.deepEqual(split, { ...whole, carryCapacity: split.carryCapacity }, `split at ${at}`);
        return;
      }
    }
    t.pass();
  });
}

test('three-way splits around every record boundary of a pcapng give the frames of a whole read', (t) => {
  const bytes = load(path.join(FIXTURES, 'lo-nano.pcapng'));
  const whole = readWhole(bytes);
  const expected = fingerprint(whole);
  let tried = 0;
  for (const frame of whole.frames) {
    for (let a = frame.fileOffset - 13; a <= frame.fileOffset + 13; a++) {
      for (let b = a + 1; b <= a + 40; b++) {
        if (a <= 0 || b >= bytes.length) continue;
        tried++;
        const split = readSplit(bytes, [a, b]);
        if (fingerprint(split) !== expected) {
          t.deepEqual(split, { ...whole, carryCapacity: split.carryCapacity }, `splits at ${a} and ${b}`);
          return;
        }
      }
    }
  }
  t.true(tried > 10_000);
});
