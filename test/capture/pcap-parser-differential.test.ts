/**
 * Differential test against pcap-parser 0.2.1, an independent classic pcap
 * reader: on every public classic pcap it reads, we deliver the same records
 * with the same seconds, microseconds, lengths and bytes.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { readCapture } from '../../src/capture/source.js';
import { loadManifest } from '../helpers/manifest.js';

const require = createRequire(import.meta.url);
const pcapp = require('pcap-parser') as {
  parse(path: string): NodeJS.EventEmitter;
};

interface Rec { sec: number; usec: number; capLen: number; origLen: number; md5: string }

/** pcap-parser's records, or undefined when it refuses the file (unknown magic, such as nanosecond pcap). */
function parseWithPcapParser(path: string): Promise<Rec[] | undefined> {
  return new Promise((resolve) => {
    const recs: Rec[] = [];
    let header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number } | undefined;
    let failed = false;
    const parser = pcapp.parse(path);
    parser.on('packetHeader', (h: typeof header) => { header = h; });
    parser.on('packetData', (data: Buffer) => {
      recs.push({
        sec: header!.timestampSeconds,
        usec: header!.timestampMicroseconds,
        capLen: header!.capturedLength,
        origLen: header!.originalLength,
        md5: createHash('md5').update(data).digest('hex'),
      });
    });
    parser.on('error', () => { failed = true; });
    parser.on('end', () => resolve(failed ? undefined : recs));
  });
}

const classicPcaps = loadManifest().filter((row) => row.format.startsWith('pcap-') && row.packets !== -2);

test('pcap-parser reads at least 50 of the public classic pcaps (the comparison below is not vacuous)', async (t) => {
  let read = 0;
  for (const row of classicPcaps) if ((await parseWithPcapParser(row.path)) !== undefined) read++;
  t.true(read >= 50, `pcap-parser read ${read}`);
});

for (const row of classicPcaps) {
  test(`${row.file}: same records, timestamps, lengths and bytes as pcap-parser`, async (t) => {
    const theirs = await parseWithPcapParser(row.path);
    if (theirs === undefined) {
      t.true(row.format === 'pcap-ns-le', 'only nanosecond files are refused by pcap-parser');
      return;
    }
    const ours: Rec[] = [];
    await readCapture(row.path, row.file, (f) => {
      const sec = Math.floor(f.ts);
      ours.push({
        sec,
        usec: Math.round((f.ts - sec) * 1e6),
        capLen: f.capLen,
        origLen: f.origLen,
        md5: createHash('md5').update(f.buf.subarray(f.offset, f.offset + f.capLen)).digest('hex'),
      });
    });
    // pcap-parser passes microseconds >= 1e6 through raw; our double timestamp folds them into the seconds.
    const normalised = theirs.map((r) => ({ ...r, sec: r.sec + Math.floor(r.usec / 1e6), usec: r.usec % 1e6 }));
    t.is(ours.length, normalised.length);
    t.deepEqual(ours, normalised);
  });
}
