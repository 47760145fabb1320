#!/usr/bin/env node
// npm run bench -- [capture] [runs]
// Whole-process timings, alternating runs, of our full analysis, our bare reader,
// pcap-parser, tshark and tcptrace on the same capture; median time, packets/s,
// MB/s, peak memory (GNU time), and ratios to our bare reader and to tshark.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const capture = process.argv[2] ?? '/work/shared/captures-public/zeek-echo-connections.pcap';
const runs = Number(process.argv[3] ?? 5);
if (!existsSync(capture)) {
  console.error(`bench: ${capture} not found; give a capture: npm run bench -- FILE [runs]`);
  process.exit(2);
}
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const node = process.execPath;
const contenders = [
  { name: 'tcp-lifecycle analyze --format ndjson', cmd: [node, path.join(root, 'dist/cli.js'), 'analyze', '--format', 'ndjson', capture] },
  { name: 'tcp-lifecycle bare reader+decoder', cmd: [node, path.join(root, 'scripts/bench/bare-read.mjs'), capture], bare: true },
  { name: 'pcap-parser 0.2.1 (count)', cmd: [node, path.join(root, 'scripts/bench/pcap-parser-count.cjs'), capture] },
  ...(has('tshark') ? [{ name: 'tshark -q -z conv,tcp', cmd: ['tshark', '-r', capture, '-q', '-z', 'conv,tcp'], tshark: true }] : []),
  ...(has('tcptrace') ? [{ name: 'tcptrace -n -l', cmd: ['tcptrace', '-n', '-l', capture] }] : []),
];
if (!existsSync('/usr/bin/time')) {
  console.error('bench: needs GNU time (apt-get install time)');
  process.exit(2);
}
const packets = Number(/(\d+) packets/.exec(execFileSync(node, [path.join(root, 'scripts/bench/bare-read.mjs'), capture], { encoding: 'utf8' }))?.[1] ?? 0);
const megabytes = statSync(capture).size / 1e6;
const samples = new Map(contenders.map((c) => [c.name, { secs: [], kb: [] }]));
for (let i = 0; i < runs; i++) {
  for (const c of contenders) {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...c.cmd], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
    const [secs, kb] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    samples.get(c.name).secs.push(secs);
    samples.get(c.name).kb.push(kb);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bareSecs = median(samples.get(contenders.find((c) => c.bare).name).secs);
const tsharkName = contenders.find((c) => c.tshark)?.name;
const tsharkSecs = tsharkName ? median(samples.get(tsharkName).secs) : undefined;
console.log(`capture ${capture}: ${packets} packets, ${megabytes.toFixed(1)} MB; ${runs} alternating runs, medians`);
console.log('| reader | time s | packets/s | MB/s | peak MiB | x bare reader | x tshark |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const c of contenders) {
  const s = median(samples.get(c.name).secs);
  const kb = Math.max(...samples.get(c.name).kb);
  const vsT = tsharkSecs ? (s / tsharkSecs).toFixed(3) : '-';
  console.log(`| ${c.name} | ${s.toFixed(2)} | ${Math.round(packets / s).toLocaleString('en')} | ${(megabytes / s).toFixed(1)} | ${(kb / 1024).toFixed(0)} | ${(s / bareSecs).toFixed(2)} | ${vsT} |`);
}
