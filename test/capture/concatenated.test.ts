/**
 * A concatenation of captures (`cat a.pcap b.pcapng | analyze -`) is read as
 * successive captures: a file header where a record was due starts the next
 * one, in any mix of formats and byte orders, cut at any chunk size.
 */
import test from 'ava';
import path from 'node:path';
import { readChunked, readWhole, load, type FrameCopy } from './frames.js';
import { PUBLIC_CAPTURES, ROOT } from '../helpers/paths.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/capture');
const PCAP_LE_NANO = load(path.join(FIXTURES, 'lo-nano.pcap'));
const PCAP_BE = load(path.join(PUBLIC_CAPTURES, 'tcpdump-be-pptp.pcap'));
const PCAPNG_SECTIONS = load(path.join(FIXTURES, 'two-sections.pcapng'));
const PCAPNG = load(path.join(FIXTURES, 'lo-nano.pcapng'));

const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** The frames of each part read alone, numbered and placed as in the concatenation. */
function expectedFrames(parts: Uint8Array[]): FrameCopy[] {
  const frames: FrameCopy[] = [];
  let base = 0;
  for (const part of parts) {
    for (const f of readWhole(part).frames) frames.push({ ...f, frameNo: frames.length + 1, fileOffset: f.fileOffset + base });
    base += part.length;
  }
  return frames;
}

const mixes: Array<[string, Uint8Array[]]> = [
  ['pcap then pcap of the other byte order', [PCAP_LE_NANO, PCAP_BE]],
  ['pcap then pcapng', [PCAP_BE, PCAPNG_SECTIONS]],
  ['pcapng then pcap', [PCAPNG, PCAP_LE_NANO]],
  ['the same pcap three times', [PCAP_BE, PCAP_BE, PCAP_BE]],
];

for (const [title, parts] of mixes) {
  test(`${title}: every capture's frames, in order, whole or in chunks of any size`, (t) => {
    const bytes = concat(...parts);
    const expected = expectedFrames(parts);
    t.true(expected.length > parts.length);
    for (const size of [bytes.length, 1, 3, 16, 23, 25, 997]) {
      const outcome = readChunked(bytes, size);
      t.is(outcome.error, undefined, `chunks of ${size}`);
      t.is(outcome.warning, undefined, `chunks of ${size}`);
      t.deepEqual(outcome.frames, expected, `chunks of ${size}`);
    }
  });
}

test('a bad header of the next capture is damage at its offset, after the first capture was read', (t) => {
  const second = PCAP_LE_NANO.slice();
  second[22] = 1; // reserved link-type bits
  const outcome = readWhole(concat(PCAP_BE, second));
  t.is(outcome.frames.length, readWhole(PCAP_BE).frames.length);
  t.is(outcome.error?.kind, 'corrupt');
  t.is(outcome.error?.offset, PCAP_BE.length + 20);
  t.regex(outcome.error!.reason, /reserved bits set/);
});

test('an input ending inside the next capture\'s file header is only cut short', (t) => {
  const outcome = readWhole(concat(PCAP_BE, PCAP_LE_NANO.subarray(0, 20)));
  t.is(outcome.frames.length, readWhole(PCAP_BE).frames.length);
  t.is(outcome.error, undefined);
  t.is(outcome.warning?.kind, 'truncated');
  t.is(outcome.warning?.offset, PCAP_BE.length);
});

test('a record of zero captured bytes is a record, not the next capture', (t) => {
  // 16-byte record header: ts 1 s, 0 captured bytes, 60 on the wire; in the file's byte order (big-endian).
  const empty = new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 60]);
  const outcome = readWhole(concat(PCAP_BE, empty, PCAP_BE.subarray(24)));
  t.is(outcome.error, undefined);
  t.is(outcome.frames.length, 2 * readWhole(PCAP_BE).frames.length + 1);
  t.is(outcome.frames[readWhole(PCAP_BE).frames.length]!.capLen, 0);
});
