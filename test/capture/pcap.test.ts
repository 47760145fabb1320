/**
 * Classic pcap: byte orders, nanosecond magic and the link-type field's
 * extra bits, checked against tshark and against the header bytes.
 */
import test from 'ava';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PcapParser } from '../../src/capture/pcap.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { load, readWhole } from './frames.js';
import { tsharkFrames } from './tshark-oracle.js';
import { PUBLIC_CAPTURES, ROOT } from '../helpers/paths.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/capture');

function header(file: string): PcapParser {
  const reader = new CaptureReader(file, () => {});
  reader.push(load(file));
  return reader.formatParser as PcapParser;
}

for (const file of [
  path.join(PUBLIC_CAPTURES, 'tcpdump-be-pptp.pcap'),
  path.join(PUBLIC_CAPTURES, 'tcpdump-sll-nano-tcp-handshake.pcap'),
  path.join(PUBLIC_CAPTURES, 'zeek-nsec-http-get-to-ssh-server.pcap'),
  path.join(FIXTURES, 'lo-nano.pcap'),
]) {
  test(`${path.basename(file)}: every frame's time, lengths and bytes as tshark reads them`, (t) => {
    const ours = readWhole(load(file));
    const theirs = tsharkFrames(file);
    t.is(ours.frames.length, theirs.length);
    theirs.forEach((f, i) => {
      const o = ours.frames[i]!;
      t.is(o.md5, f.md5);
      t.is(o.origLen, f.len);
      t.is(o.capLen, f.capLen);
      t.true(Math.abs(o.ts - Number(f.time)) < 3e-7, `frame ${i + 1}: ${o.ts} vs ${f.time}`);
    });
  });
}

test('a big-endian pcap is read in its byte order', (t) => {
  const parser = header(path.join(PUBLIC_CAPTURES, 'tcpdump-be-pptp.pcap'));
  t.false(parser.littleEndian);
  t.is(parser.linkType, 1);
  t.is(parser.versionMajor, 2);
});

test('nanosecond magic: the fraction is nanoseconds, kept below a microsecond of error', (t) => {
  const file = path.join(FIXTURES, 'lo-nano.pcap');
  t.true(header(file).nanosecond);
  const frames = readWhole(load(file)).frames;
  const theirs = tsharkFrames(file);
  // tcpdump stamps loopback packets with real nanoseconds: the last three digits are not all zero.
  t.true(theirs.some((f) => !f.time.endsWith('000')));
  t.is(frames[0]!.ts, Number(theirs[0]!.time));
});

test('FCS-length bits in the link-type field (0x300000e5) are read past: link type 229, no FCS present', (t) => {
  const file = path.join(PUBLIC_CAPTURES, 'tcpdump-rawip6-fcsbits-beep-oobr.pcap');
  const parser = header(file);
  t.is(parser.linkType, 229);
  t.is(parser.fcsBytes, 0);
  const frames = readWhole(load(file)).frames;
  t.deepEqual(frames.map((f) => [f.linkType, f.capLen, f.origLen]), [[229, 64, 262144], [229, 64, 262144]]);
});

test('an FCS length marked present (0x04000000) is kept in 16-bit units', (t) => {
  const bytes = load(path.join(PUBLIC_CAPTURES, 'zeek-tcp-single-rst.pcap'));
  bytes[23] = 0x24; // FCS length 2 (x 16 bits), present bit set
  const reader = new CaptureReader('x', () => {});
  reader.push(bytes);
  const parser = reader.formatParser as PcapParser;
  t.is(parser.linkType, 1);
  t.is(parser.fcsBytes, 4);
  t.is(reader.frames, 1);
});

test('unknown starts are refused with a reason that says what the file is', (t) => {
  const cases: Array<[Uint8Array, RegExp]> = [
    [gzipSync(load(path.join(PUBLIC_CAPTURES, 'zeek-tcp-single-rst.pcap'))), /gzip-compressed/],
    [Uint8Array.from([0xa1, 0xb2, 0xcd, 0x34, ...new Array(40).fill(0)]), /modified pcap format/],
    [new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'), /not a pcap or pcapng file \(starts with 0x47455420\)/],
    [Uint8Array.from([0xd4, 0xc3]), /only 2 bytes, too short/],
  ];
  for (const [bytes, reason] of cases) {
    const outcome = readWhole(bytes);
    t.is(outcome.error?.kind, 'not-capture');
    t.regex(outcome.error!.message, reason);
    t.is(outcome.frames.length, 0);
  }
});
