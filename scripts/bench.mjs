#!/usr/bin/env node
// npm run bench -- [capture.pcap] [runs]
// Whole-process timings, alternating runs, on the same capture: our full analysis
// (NDJSON written to a file, on tmpfs when /dev/shm exists: the bytes are written,
// and the disk's writeback throttling does not decide the figure), the same on 2
// worker threads and on the pcapng copy,
// our bare reader (the floor), pcap-parser, tshark and tcptrace when installed.
// Prints median time, packets/s, MB/s, peak memory (GNU time) and the ratios to our
// bare reader and to tshark. Make the reference capture first (root):
//   sudo bash scripts/bench/make-capture.sh /tmp/tcp-lifecycle-bench.pcap
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reference = '/tmp/tcp-lifecycle-bench.pcap';
const capture = process.argv[2] ?? (existsSync(reference) ? reference : path.resolve(root, '../shared/captures-public/zeek-echo-connections.pcap'));
const runs = Number(process.argv[3] ?? 5);
if (!existsSync(capture)) {
  console.error(`bench: ${capture} not found; make one (sudo bash scripts/bench/make-capture.sh) or give one: npm run bench -- FILE [runs]`);
  process.exit(2);
}
if (!existsSync('/usr/bin/time')) {
  console.error('bench: needs GNU time (apt-get install time)');
  process.exit(2);
}
const pcapng = capture.replace(/\.pcap$/, '.pcapng');
const hasPcapng = pcapng !== capture && existsSync(pcapng);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const node = process.execPath;
const cli = path.join(root, 'dist/cli.js');
const bare = path.join(root, 'scripts/bench/bare-read.mjs');
const outputDir = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const output = path.join(outputDir, `tcp-lifecycle-bench-${process.pid}.ndjson`);
const contenders = [
  { name: 'analyze --format ndjson > file', cmd: [node, cli, 'analyze', '--format', 'ndjson', capture], toFile: true, floor: 'bare' },
  { name: 'analyze --jobs 2 --format ndjson > file', cmd: [node, cli, 'analyze', '--jobs', '2', '--format', 'ndjson', capture], toFile: true, floor: 'bare' },
  ...(hasPcapng ? [{ name: 'analyze pcapng --format ndjson > file', cmd: [node, cli, 'analyze', '--format', 'ndjson', pcapng], toFile: true, floor: 'bare-ng' }] : []),
  { name: 'bare reader + decoder (the floor)', cmd: [node, bare, capture], id: 'bare' },
  ...(hasPcapng ? [{ name: 'bare reader + decoder, pcapng', cmd: [node, bare, pcapng], id: 'bare-ng' }] : []),
  { name: 'pcap-parser 0.2.1 (count only)', cmd: [node, path.join(root, 'scripts/bench/pcap-parser-count.cjs'), capture], floor: 'bare' },
  ...(has('tshark') ? [{ name: 'tshark -q -z conv,tcp', cmd: ['tshark', '-r', capture, '-q', '-z', 'conv,tcp'], tshark: true, floor: 'bare' }] : []),
  ...(has('tcptrace') ? [{ name: 'tcptrace -n -l', cmd: ['tcptrace', '-n', '-l', capture], floor: 'bare' }] : []),
];
const packets = Number(/(\d+) packets/.exec(execFileSync(node, [bare, capture], { encoding: 'utf8' }))?.[1] ?? 0);
const megabytes = statSync(capture).size / 1e6;
const samples = new Map(contenders.map((c) => [c.name, { secs: [], kb: [] }]));
for (let i = 0; i < runs; i++) {
  for (const c of contenders) {
    const out = c.toFile ? openSync(output, 'w') : 'ignore';
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...c.cmd], { stdio: ['ignore', out, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 });
    if (c.toFile) closeSync(out);
    const [secs, kb] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    samples.get(c.name).secs.push(secs);
    samples.get(c.name).kb.push(kb);
  }
}
const outputMb = existsSync(output) ? statSync(output).size / 1e6 : 0;
rmSync(output, { force: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secsOf = (id) => median(samples.get(contenders.find((c) => c.id === id).name).secs);
const tsharkName = contenders.find((c) => c.tshark)?.name;
const tsharkSecs = tsharkName ? median(samples.get(tsharkName).secs) : undefined;
let commit = 'unknown';
try { commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(); } catch {}
console.log(`capture ${capture}: ${packets} packets, ${megabytes.toFixed(1)} MB; NDJSON output ${outputMb.toFixed(0)} MB, written to ${outputDir}`);
console.log(`commit ${commit}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), node ${process.version}; ${runs} alternating runs, medians, whole process`);
console.log('| reader | time s | packets/s | MB/s | peak MiB | x bare reader | x tshark |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const c of contenders) {
  const s = median(samples.get(c.name).secs);
  const kb = Math.max(...samples.get(c.name).kb);
  const floor = c.floor ? secsOf(c.floor) : s;
  const vsT = tsharkSecs ? (s / tsharkSecs).toFixed(3) : '-';
  console.log(`| ${c.name} | ${s.toFixed(2)} | ${Math.round(packets / s).toLocaleString('en')} | ${(megabytes / s).toFixed(1)} | ${(kb / 1024).toFixed(0)} | ${(s / floor).toFixed(2)} | ${vsT} |`);
}
