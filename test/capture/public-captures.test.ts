/**
 * Every public capture: frame counts equal tshark's (MANIFEST.tsv) where
 * tshark reads the file, and each malformed file ends in the CaptureError
 * kind and byte offset its damage calls for, never in another exception.
 */
import test from 'ava';
import { CaptureError } from '../../src/capture/frame.js';
import { probeFile, readCapture } from '../../src/capture/source.js';
import { loadManifest } from '../helpers/manifest.js';

const rows = loadManifest();

/**
 * Malformed files: what we deliver and how we stop. Where this differs from
 * tshark's count it says why.
 */
const malformed: Record<string, { frames: number; kind: CaptureError['kind']; offset: number; reason: RegExp }> = {
  // Header only, link-type field 0x00300000: libpcap and tshark refuse reserved bits.
  'libpcap-linktype-reserved-field-not-zero.pcap': { frames: 0, kind: 'not-capture', offset: 20, reason: /reserved bits/ },
  // tshark calls the 0-byte file an empty ERF capture; for us it is nothing usable, as for tcpdump.
  'libpcap-pcap-empty-file.pcap': { frames: 0, kind: 'not-capture', offset: 0, reason: /empty file/ },
  'libpcap-pcap-invalid-version-1.pcap': { frames: 0, kind: 'not-capture', offset: 4, reason: /version 1\.4/ },
  'libpcap-pcap-truncated-hdr-23.pcap': { frames: 0, kind: 'not-capture', offset: 0, reason: /header cut short \(23 of 24/ },
  // The section header is sound, the interface block after it (offset 28) is 21 bytes long.
  'libpcap-pcapng-block-len-not-mult4.pcapng': { frames: 0, kind: 'corrupt', offset: 28, reason: /not a multiple of 4/ },
  'libpcap-pcapng-packet-before-idb.pcapng': { frames: 0, kind: 'corrupt', offset: 28, reason: /interface 0.*0 interface/ },
  // The first section header's options run past it: its trailing length is option bytes.
  'libpcap-shb-option-too-long.pcapng': { frames: 0, kind: 'not-capture', offset: 0, reason: /trailing copy/ },
  'sv-corrupt-reclen-smtp.pcap': { frames: 18, kind: 'corrupt', offset: 3695, reason: /3925868813 captured bytes/ },
  // tshark guesses a pcap variant from the garbage and reads a second bogus record;
  // libpcap (tcpdump) reads one record then refuses the length at 228, as we do.
  'sv-corrupt-second-record-fuzz.pcap': { frames: 1, kind: 'corrupt', offset: 228, reason: /1409179648 captured bytes/ },
  // 2696 records then one stray byte: only a warning.
  'sv-trailing-partial-record-http.pcap': { frames: 2696, kind: 'truncated', offset: 2715459, reason: /cut short/ },
};

test('every malformed file listed above is in the manifest', (t) => {
  for (const file of Object.keys(malformed)) t.truthy(rows.find((r) => r.file === file), file);
});

for (const row of rows) {
  const expected = malformed[row.file];
  if (expected) {
    test(`${row.file}: ${expected.frames} frames, then ${expected.kind} at byte offset ${expected.offset}`, async (t) => {
      let frames = 0;
      let outcome: CaptureError | undefined;
      try {
        const result = await readCapture(row.path, row.file, () => { frames++; });
        outcome = result.error ?? result.warning;
      } catch (error) {
        t.true(error instanceof CaptureError, `threw ${String(error)}`);
        outcome = error as CaptureError;
      }
      t.is(frames, expected.frames);
      t.truthy(outcome);
      t.is(outcome!.kind, expected.kind);
      t.is(outcome!.offset, expected.offset);
      t.regex(outcome!.message, expected.reason);
      t.true(outcome!.message.startsWith(`${row.file}: `), 'the message names the file');
      if (expected.kind === 'not-capture') {
        const sniffed = t.throws(() => probeFile(row.path).format, { instanceOf: CaptureError });
        t.is(sniffed?.kind, 'not-capture');
      } else {
        t.notThrows(() => probeFile(row.path));
      }
    });
  } else {
    test(`${row.file}: ${row.packets} frames, as tshark counts, and no error`, async (t) => {
      t.true(row.packets >= 0);
      let frames = 0;
      let lastNo = 0;
      const result = await readCapture(row.path, row.file, (f) => {
        frames++;
        t.is(f.frameNo, lastNo + 1);
        lastNo = f.frameNo;
      });
      t.is(frames, row.packets);
      t.is(result.frames, row.packets);
      t.is(result.error, undefined);
      t.is(result.warning, undefined);
      t.is(result.format, row.format === 'pcapng' ? 'pcapng' : 'pcap');
      t.is(probeFile(row.path).format, result.format);
    });
  }
}
