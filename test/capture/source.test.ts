/**
 * readCapture and probeFile: the same frames from a path, a stream,
 * standard input and bytes in memory; unusable inputs rejected with a clear
 * not-capture error; damage part-way and cut-short ends resolved with what
 * was read.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CaptureError } from '../../src/capture/frame.js';
import { prepareInputs } from '../../src/capture/inputs.js';
import { probeFile, readCapture } from '../../src/capture/source.js';
import { copyFrame, load, readWhole, type FrameCopy } from './frames.js';
import { PUBLIC_CAPTURES, ROOT } from '../helpers/paths.js';

const PPTP = path.join(PUBLIC_CAPTURES, 'tcpdump-be-pptp.pcap');
const SECTIONS = path.join(ROOT, 'test/fixtures/capture/two-sections.pcapng');

async function collect(input: Parameters<typeof readCapture>[0], options: Parameters<typeof readCapture>[3] = {}) {
  const frames: FrameCopy[] = [];
  const result = await readCapture(input, 'input', (f) => frames.push(copyFrame(f)), options);
  return { frames, result };
}

test('a path, a stream, bytes in memory and small file reads all give the frames of the push parser', async (t) => {
  for (const file of [PPTP, SECTIONS]) {
    const bytes = load(file);
    const expected = readWhole(bytes).frames;
    const fromPath = await collect(file);
    const fromSmallReads = await collect(file, { chunkBytes: 7 });
    const fromStream = await collect(Readable.from([bytes.subarray(0, 100), bytes.subarray(100, 101), bytes.subarray(101)]));
    const fromBytes = await collect(bytes);
    for (const got of [fromPath, fromSmallReads, fromStream, fromBytes]) {
      t.deepEqual(got.frames, expected);
      t.is(got.result.frames, expected.length);
      t.is(got.result.bytes, bytes.length);
      t.is(got.result.error, undefined);
      t.is(got.result.warning, undefined);
    }
    t.is(fromPath.result.format, file.endsWith('.pcapng') ? 'pcapng' : 'pcap');
  }
});

test('"-" reads standard input', (t) => {
  const script = `
    import { readCapture } from ${JSON.stringify(new URL('../../src/capture/source.js', import.meta.url).href)};
    const r = await readCapture('-', '<stdin>', () => {});
    console.log(JSON.stringify(r));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT, input: load(PPTP), encoding: 'utf8',
  });
  t.is(run.status, 0, run.stderr);
  t.deepEqual(JSON.parse(run.stdout), { format: 'pcap', frames: 23, bytes: 2464 });
});

test('frame numbers start at firstFrameNo, so they continue across files', async (t) => {
  const { frames } = await collect(PPTP, { firstFrameNo: 101 });
  t.deepEqual([frames[0]!.frameNo, frames.at(-1)!.frameNo], [101, 123]);
});

test('progress is reported with the bytes read and the file size', async (t) => {
  const calls: Array<[number, number | undefined]> = [];
  await collect(SECTIONS, { chunkBytes: 4096, onProgress: (bytes, total) => calls.push([bytes, total]) });
  t.deepEqual(calls, [[4096, 9736], [8192, 9736], [9736, 9736]]);
});

test('reading waits for the promise pause returns', async (t) => {
  let resumed = 0;
  const framesAtPause: number[] = [];
  let frames = 0;
  await readCapture(SECTIONS, 'x', () => { frames++; }, {
    chunkBytes: 4096,
    pause: () => {
      framesAtPause.push(frames);
      return new Promise<void>((resolve) => setTimeout(() => { resumed++; resolve(); }, 5));
    },
  });
  t.is(resumed, 3);
  t.true(framesAtPause[0]! < framesAtPause[1]! && framesAtPause[1]! < framesAtPause[2]!);
});

test('damage part-way resolves with the frames before it and the error; a cut-short end with a warning', async (t) => {
  const corrupt = await collect(path.join(PUBLIC_CAPTURES, 'sv-corrupt-reclen-smtp.pcap'));
  t.is(corrupt.frames.length, 18);
  t.is(corrupt.result.error?.kind, 'corrupt');
  t.is(corrupt.result.error?.offset, 3695);
  const cut = await collect(load(PPTP).subarray(0, 1000));
  t.is(cut.result.warning?.kind, 'truncated');
  t.is(cut.result.error, undefined);
});

test.serial('a file read a chunk ahead leaves no descriptor open, also when the read stops early (damage, an interrupt)', async (t) => {
  const files = [path.join(PUBLIC_CAPTURES, 'sv-corrupt-reclen-smtp.pcap'), PPTP, SECTIONS];
  // The descriptors open on the files read, by where they lead.
  const open = () => readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return files.includes(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false; // closed since listed
    }
  });
  await collect(files[0]!, { chunkBytes: 512 });
  const controller = new AbortController();
  let frames = 0;
  const interrupted = await readCapture(PPTP, 'x', () => {
    if (++frames === 3) controller.abort();
  }, { chunkBytes: 256, signal: controller.signal });
  t.true(interrupted.frames < 23, `${interrupted.frames} frames read before the interrupt took effect`);
  await collect(SECTIONS, { chunkBytes: 4096 });
  t.deepEqual(open(), []);
});

test('a missing file, a directory, an empty file and a text file are rejected as not-capture with a clear reason', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'capture-source-'));
  const empty = path.join(dir, 'empty.pcap');
  const text = path.join(dir, 'notes.txt');
  writeFileSync(empty, '');
  writeFileSync(text, 'hello, this is not a capture\n');
  const cases: Array<[string, RegExp]> = [
    [path.join(dir, 'missing.pcap'), /missing\.pcap: no such file at byte offset 0/],
    [dir, /is a directory/],
    [empty, /empty file/],
    [text, /not a pcap or pcapng file/],
  ];
  for (const [file, reason] of cases) {
    const error = await t.throwsAsync(readCapture(file, file, () => {}), { instanceOf: CaptureError, message: reason });
    t.is((error as CaptureError).kind, 'not-capture');
    const sniffed = t.throws(() => probeFile(file).format, { instanceOf: CaptureError, message: reason });
    t.is((sniffed as CaptureError).kind, 'not-capture');
  }
});

test('probeFile accepts a capture whose damage lies further in, and names its format', (t) => {
  t.is(probeFile(path.join(PUBLIC_CAPTURES, 'sv-corrupt-reclen-smtp.pcap')).format, 'pcap');
  t.is(probeFile(SECTIONS).format, 'pcapng');
});

test('a stream that fails part-way resolves with a corrupt error at the bytes read', async (t) => {
  const bytes = load(PPTP);
  const failing = new Readable({ read() {} });
  failing.push(bytes.subarray(0, 500));
  setImmediate(() => failing.destroy(new Error('connection reset')));
  const { frames, result } = await collect(failing);
  t.true(frames.length > 0);
  t.is(result.error?.kind, 'corrupt');
  t.is(result.error?.offset, 500);
  t.regex(result.error!.message, /read failed: connection reset/);
});

test('a stream of text is rejected as not-capture', async (t) => {
  const error = await t.throwsAsync(readCapture(Readable.from(['abc']), 'text', () => {}), { instanceOf: CaptureError });
  t.is((error as CaptureError).kind, 'not-capture');
});

test('a stream probed ahead for its header and first packet is then read whole: the probe consumes nothing', async (t) => {
  const bytes = load(PPTP);
  const stream = Readable.from([bytes.subarray(0, 10), bytes.subarray(10, 30), bytes.subarray(30, 200), bytes.subarray(200)]);
  const [first, second] = await prepareInputs([
    { source: SECTIONS, name: 'sections' },
    { source: stream, name: 'stream' },
  ]);
  // The stream's first packet is older than the file's: it is read first.
  t.is(first!.name, 'stream');
  t.is(second!.name, 'sections');
  t.deepEqual((await collect(first!.source)).frames, readWhole(bytes).frames);
});

test('a stream that is no capture is refused by the probe, naming its first bytes', async (t) => {
  const error = await t.throwsAsync(prepareInputs([
    { source: PPTP, name: 'file' },
    { source: Readable.from([Buffer.from('hello world')]), name: 'pipe' },
  ]), { instanceOf: CaptureError });
  t.is((error as CaptureError).kind, 'not-capture');
  t.regex(error!.message, /pipe: not a pcap or pcapng file \(starts with 0x68656c6c\)/);
});
