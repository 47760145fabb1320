/**
 * Seeded fuzzing: real captures, mutated where it hurts (headers, record and
 * block lengths, timestamps, IP and TCP header fields), through the whole
 * pipeline and the renderings of `report` and `states`. No exception but a
 * refused start, the summary always last, every record serialisable, its
 * NDJSON bytes those of JSON.stringify and within the contract, memory
 * bounded whatever a length field claims.
 * Longer runs: FUZZ_CASES=100000 FUZZ_SEED=7 npm test -- .build/test/fuzz/fuzz.test.js
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runPipeline, runPipelineTo } from '../../src/analyze.js';
import { CaptureError } from '../../src/capture/frame.js';
import { toConnectionRecord } from '../../src/flow/lifecycle.js';
import type { OutputRecord } from '../../src/records.js';
import { NdjsonEncoder } from '../../src/report/ndjson-encoder.js';
import { CAPTURES, CLI, CONTRACT_CHECK, PUBLIC_CAPTURES, ROOT } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';
import { renderAll } from '../helpers/render.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const CASES = Number(process.env.FUZZ_CASES ?? 10000);
/** Every how many cases the records keep their segments and are also rendered as reports and states (1: every case). */
const RENDER_EVERY = Number(process.env.FUZZ_RENDER_EVERY ?? 20);
/** Most CPU time a case may take: CPU, not wall time, so a loaded machine's stalls are not taken for a hang. */
const CASE_MS = 5000;
const HEAP_BOUND = 400 * 1024 * 1024;
const REGRESSIONS = path.join(ROOT, 'test/regressions');

/** mulberry32: small, seeded, reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seeds = [
  ...readdirSync(PUBLIC_CAPTURES).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(PUBLIC_CAPTURES, f)),
  ...readdirSync(CAPTURES).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(CAPTURES, f)),
]
  .map((f) => readFileSync(f))
  .filter((b) => b.length > 24 && b.length < 400_000);

/** Where the records (pcap) or blocks (pcapng) of a capture begin, and its byte order, to aim mutations at lengths and headers. */
interface Layout {
  pcapng: boolean;
  le: boolean;
  /** Record header offsets (pcap) or block offsets (pcapng). */
  offsets: number[];
}

function layout(b: Buffer): Layout {
  const offsets: number[] = [];
  const magicLe = b.readUInt32LE(0);
  if (magicLe === 0x0a0d0d0a) {
    const le = b.readUInt32LE(8) === 0x1a2b3c4d;
    for (let o = 0; o + 12 <= b.length && offsets.length < 2000; ) {
      const len = le ? b.readUInt32LE(o + 4) : b.readUInt32BE(o + 4);
      if (len < 12 || o + len > b.length) break;
      offsets.push(o);
      o += len;
    }
    return { pcapng: true, le, offsets };
  }
  const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) return { pcapng: false, le: true, offsets };
  for (let o = 24; o + 16 <= b.length && offsets.length < 2000; ) {
    offsets.push(o);
    o += 16 + (le ? b.readUInt32LE(o + 8) : b.readUInt32BE(o + 8));
  }
  return { pcapng: false, le, offsets };
}

const HUGE = [0, 1, 11, 12, 15, 16, 0x7fffffff, 0xfffffff0, 0x40000, 65535, 0x80000000];

/** Where a packet's bytes begin inside a record (pcap) or an enhanced packet block (pcapng). */
function packetStart(l: Layout, o: number): number {
  return l.pcapng ? o + 28 : o + 16;
}

function mutate(seed: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const l = layout(b);
  const records = l.offsets;
  const u32 = (value: number, at: number) => { if (at + 4 <= b.length) (l.le ? b.writeUInt32LE(value >>> 0, at) : b.writeUInt32BE(value >>> 0, at)); };
  const kind = pick(12);
  switch (kind) {
    case 0: // bit flips anywhere
      for (let i = 0, n = 1 + pick(8); i < n; i++) b[pick(b.length)]! ^= 1 << pick(8);
      return b;
    case 1: { // truncation: in the file header, a record or block header, its body or a pcapng trailer
      if (!records.length) return b.subarray(0, pick(b.length));
      const r = records[pick(records.length)]!;
      return b.subarray(0, [pick(24), r + pick(16), r + 16 + pick(64), r + pick(12)][pick(4)]);
    }
    case 2: // a record's captured length or a block's total length lying
      if (records.length) u32(HUGE[pick(HUGE.length)]!, records[pick(records.length)]! + (l.pcapng ? 4 : 8 + 4 * pick(2)));
      else u32(HUGE[pick(HUGE.length)]!, 4 + 4 * pick(Math.max(1, (b.length - 8) >> 2)));
      return b;
    case 3: // the link type changed
      if (l.pcapng) {
        const idb = records.find((o) => (l.le ? b.readUInt32LE(o) : b.readUInt32BE(o)) === 1);
        if (idb !== undefined) l.le ? b.writeUInt16LE([0, 1, 101, 113, 276, 9999][pick(6)]!, idb + 8) : b.writeUInt16BE([0, 1, 101, 113, 276, 9999][pick(6)]!, idb + 8);
      } else u32([0, 1, 12, 101, 108, 113, 228, 229, 239, 276, 9999][pick(11)]!, 20);
      return b;
    case 4: { // IPv4 IHL or TCP data offset made impossible (Ethernet + IPv4 assumed; harmless otherwise)
      if (!records.length) return b;
      const r = packetStart(l, records[pick(records.length)]!);
      if (r + 14 + 33 < b.length) {
        if (rnd() < 0.5) b[r + 14] = 0x40 | pick(5);
        else b[r + 14 + 20 + 12] = (pick(5) << 4) | (rnd() < 0.5 ? 0 : 0xf0);
      }
      return b;
    }
    case 5: { // IPv6 next-header loops and garbage extension lengths
      for (let i = 0, n = 1 + pick(4); i < n; i++) {
        const o = pick(b.length);
        b[o] = [0, 43, 44, 51, 60, 41, 108][pick(7)]!;
      }
      return b;
    }
    case 6: { // records or blocks duplicated and reordered, timestamps going backwards
      if (records.length < 3) return b;
      const i = 1 + pick(records.length - 2);
      const copy = Buffer.from(b.subarray(records[i]!, records[i + 1]!));
      if (!l.pcapng) l.le ? copy.writeUInt32LE(1, 0) : copy.writeUInt32BE(1, 0);
      return Buffer.concat([b.subarray(0, records[i + 1]!), copy, b.subarray(records[i + 1]!)]);
    }
    case 7: // magic swapped between pcap, pcapng and byte orders
      b.writeUInt32LE([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x0a0d0d0a, 0x4d3cb2a1][pick(5)]!, 0);
      return b;
    case 8: { // pcapng: a block whose trailing total length disagrees with its leading one
      if (!l.pcapng || records.length < 2) return b;
      const o = records[pick(records.length)]!;
      const len = l.le ? b.readUInt32LE(o + 4) : b.readUInt32BE(o + 4);
      u32([len + 4, len - 4, 0, 0xffffffff, len ^ 0x100][pick(5)]!, o + len - 4);
      return b;
    }
    case 9: { // an IPv6 extension header chain that points at itself, as long as the packet allows
      if (!records.length) return b;
      const r = packetStart(l, records[pick(records.length)]!);
      if (r + 14 + 40 + 64 > b.length) return b;
      b[r + 12] = 0x86;
      b[r + 13] = 0xdd;
      b[r + 14] = 0x60;
      b[r + 14 + 6] = 0; // hop-by-hop first
      for (let h = r + 14 + 40; h + 8 <= r + 14 + 40 + 64; h += 8) {
        b[h] = [0, 60, 43][pick(3)]!;
        b[h + 1] = 0;
      }
      return b;
    }
    case 10: { // timestamps that lie: past any date, before 1970, far back, far ahead (a pcapng 64-bit count, a pcap seconds field)
      if (!records.length) return b;
      const o = records[pick(records.length)]!;
      if (!l.pcapng) u32([0, 1, 0xffffffff, 0x80000000, pick(0x100000000)][pick(5)]!, o);
      else if ((l.le ? b.readUInt32LE(o) : b.readUInt32BE(o)) === 6) u32([0xffffffff, 0x80000000, 0x7fffffff, 0, pick(0x100000000)][pick(5)]!, o + 12);
      return b;
    }
    default: // random bytes over a packet
      if (records.length) {
        const r = packetStart(l, records[pick(records.length)]!);
        for (let i = 0; i < 32 && r + i < b.length; i++) b[r + i] = pick(256);
      }
      return b;
  }
}

/** A failing input is kept where the regression test runs it on every `npm test`. */
function keepFailure(input: Buffer, name: string): string {
  const file = path.join(REGRESSIONS, `${name}.bin`);
  mkdirSync(REGRESSIONS, { recursive: true });
  writeFileSync(file, input);
  return file;
}

/**
 * The cases' connections and findings go to a file, closed by a summary of
 * them all, for one run of the contract check per 64 MB of records.
 */
class ContractBatch {
  private readonly file = path.join(mkdtempSync(path.join(tmpdir(), 'fuzz-')), 'records.ndjson');
  private fd = openSync(this.file, 'w');
  private bytes = 0;
  private connections = 0;
  private findings = 0;

  /** Adds NDJSON lines; returns the check's complaint when a full batch fails it. */
  add(lines: string, connections: number, findings: number): string | undefined {
    this.bytes += writeSync(this.fd, lines);
    this.connections += connections;
    this.findings += findings;
    return this.bytes > 64 * 1024 * 1024 ? this.check() : undefined;
  }

  /** Checks the batch and starts the next; returns the complaint, if any. */
  check(): string | undefined {
    writeSync(this.fd, JSON.stringify({ type: 'summary', packets: 0, tcp_packets: 0, connections: this.connections, states_at_end: {}, findings: this.findings }) + '\n');
    closeSync(this.fd);
    const run = spawnSync(process.execPath, [CONTRACT_CHECK, this.file], { encoding: 'utf8' });
    if (run.status !== 0) return `records outside the contract (${this.file}):\n${run.stdout}${run.stderr}`;
    this.fd = openSync(this.file, 'w');
    this.bytes = this.connections = this.findings = 0;
    return undefined;
  }
}

test(`fuzz: ${CASES} mutated captures (seed ${SEED}) never crash, hang or grow memory without bound`, async (t) => {
  const rnd = prng(SEED);
  await runPipeline([new Uint8Array(seeds[0]!)], {}, () => {}); // warm up: module loading is not the case's time
  let refused = 0;
  let damaged = 0;
  let slowest = 0;
  let peakHeap = 0;
  let rendered = 0;
  const contract = new ContractBatch();
  // One encoder for all the cases, as for the records of one long capture: each case's bytes are copied out and its chunks reused.
  const chunks: Uint8Array[] = [];
  const encoder: NdjsonEncoder = new NdjsonEncoder((bytes) => {
    chunks.push(Buffer.from(bytes));
    encoder.release(bytes);
  });
  const started = Date.now();
  for (let i = 0; i < CASES; i++) {
    const input = mutate(seeds[Math.floor(rnd() * seeds.length)]!, rnd);
    const records: OutputRecord[] = [];
    const t0 = process.cpuUsage();
    if (process.env.FUZZ_DUMP === String(i)) (await import('node:fs')).writeFileSync('/tmp/fuzz-case.bin', input);
    encoder.flush(); // nothing, unless a refused case left bytes
    chunks.length = 0;
    let expected = '';
    try {
      const summary = await runPipelineTo([new Uint8Array(input)], { keepSegments: i % RENDER_EVERY === 0 ? 24 : 0 }, {
        connection: (c, log) => {
          const record = toConnectionRecord(c, log);
          records.push(record);
          encoder.connection(c, log);
          expected += JSON.stringify(record) + '\n';
        },
        finding: (r) => records.push(r),
        summary: (r) => records.push(r),
      });
      if (summary.errors.length) damaged++;
      if (records.at(-1)?.type !== 'summary') return t.fail(`case ${i}: the summary is not last, kept as ${keepFailure(input, `fuzz-seed${SEED}-case${i}`)}`);
      JSON.stringify(records);
      encoder.flush();
      if (Buffer.concat(chunks).toString('utf8') !== expected) return t.fail(`case ${i}: NDJSON bytes differ from JSON.stringify, kept as ${keepFailure(input, `fuzz-seed${SEED}-case${i}-ndjson`)}`);
      const findings = records.filter((r) => r.type === 'finding');
      const failure = contract.add(expected + findings.map((r) => JSON.stringify(r) + '\n').join(''), summary.connections, findings.length);
      if (failure) return t.fail(`cases up to ${i}: ${failure}`);
      if (i % RENDER_EVERY === 0) {
        try {
          await renderAll(input, records);
          rendered++;
        } catch (error) {
          return t.fail(`case ${i}: rendering failed, kept as ${keepFailure(input, `fuzz-seed${SEED}-case${i}-render`)}: ${error instanceof Error ? error.stack : String(error)}`);
        }
      }
    } catch (error) {
      if (!(error instanceof CaptureError) || error.kind !== 'not-capture') {
        const kept = keepFailure(input, `fuzz-seed${SEED}-case${i}`);
        return t.fail(`case ${i} (seed ${SEED}), kept as ${kept}: ${error instanceof Error ? error.stack : String(error)}`);
      }
      refused++;
    }
    const used = process.cpuUsage(t0);
    const ms = Math.round((used.user + used.system) / 1000);
    slowest = Math.max(slowest, ms);
    if (ms > CASE_MS) return t.fail(`case ${i} took ${ms} ms of CPU, kept as ${keepFailure(input, `fuzz-seed${SEED}-case${i}-slow`)}`);
    if (i % 100 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  t.true(peakHeap < HEAP_BOUND, `heap peaked at ${(peakHeap / 1e6).toFixed(0)} MB`);
  const failure = contract.check();
  if (failure) return t.fail(failure);
  t.log(`${CASES} cases in ${((Date.now() - started) / 1000).toFixed(1)} s: ${refused} refused, ${damaged} damaged part-way, ${rendered} rendered, slowest ${slowest} ms of CPU, heap peak ${(peakHeap / 1e6).toFixed(0)} MB`);
});

/** The exit code the command line owes a capture, from what the pipeline makes of it in this process. */
async function expectedExit(input: Buffer): Promise<number> {
  try {
    const summary = await runPipeline([new Uint8Array(input)], {}, () => {});
    return summary.errors.length > 0 ? 3 : 0;
  } catch (error) {
    if (error instanceof CaptureError) return error.kind === 'corrupt' ? 3 : 2;
    throw error;
  }
}

test('fuzz through the command line: mutated captures refused, damaged and whole exit 2, 3 and 0 from analyze, report and states, no stack trace', async (t) => {
  const rnd = prng(SEED + 1);
  // Three cases of each ending, found in this process: the command line is what differs, so a few of each suffice.
  const cases = new Map<number, Buffer[]>([[0, []], [2, []], [3, []]]);
  for (let i = 0; i < 500 && [...cases.values()].some((c) => c.length < 3); i++) {
    const input = mutate(seeds[Math.floor(rnd() * seeds.length)]!, rnd);
    const kind = cases.get(await expectedExit(input))!;
    if (kind.length < 3) kind.push(input);
  }
  for (const [status, inputs] of cases) {
    t.is(inputs.length, 3, `three mutated captures that exit ${status}`);
    for (const [i, input] of inputs.entries()) {
      // The first of each ending also as a report and a states view.
      for (const args of i === 0 ? [['analyze', '--format', 'ndjson', '-'], ['report', '--format', 'html', '-'], ['states', '-']] : [['analyze', '--format', 'ndjson', '-']]) {
        const r = runCli(args, { input });
        if (r.status !== status || /\n\s+at /.test(r.stderr)) keepFailure(input, `fuzz-cli-seed${SEED + 1}-exit${status}-${i}-${args[0]}`);
        t.is(r.status, status, `${args[0]}: ${r.stderr}`);
        t.notRegex(r.stderr, /\n\s+at /, `${args[0]}: stack trace`);
        if (args[0] === 'analyze') for (const line of r.stdout.split('\n').filter(Boolean)) JSON.parse(line);
      }
    }
  }
});

test('piping into head ends quietly with exit 0', (t) => {
  const r = spawnSync('bash', ['-c', `node ${CLI} analyze --format ndjson ${path.join(CAPTURES, 'time-wait-storm.pcap')} | head -n 1 > /dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
  t.is(r.stdout.trim(), '0', r.stderr);
  t.is(r.stderr, '');
});
