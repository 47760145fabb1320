#!/usr/bin/env node
// node scripts/bench/merge.mjs [capture.pcap] [files] [runs]
// The cost of going per file: the capture cut into N files (editcap -c), each
// analyzed alone (`analyze --format ndjson`, one process per file, as one task
// of a batch engine would; and all N in one process, as a `worker` takes its
// jobs in turn), then `merge` of the N analyses; against one `analyze` of the
// whole capture. CPU time (user + system, GNU time) of whole processes, medians
// of the runs; outputs written to tmpfs. Prints the ratios of the per-file
// totals to one run, merge's share of the total, and what the merge state adds
// in size; the floor of any merge that writes the records, a plain copy (cat)
// of the analyses into one file; then whether the merged analysis equals one
// run's (fields that name a file or a frame within one aside).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const capture = process.argv[2] ?? '/tmp/tcp-lifecycle-bench.pcap';
const parts = Number(process.argv[3] ?? 10);
const runs = Number(process.argv[4] ?? 3);
for (const [what, ok] of [[capture, existsSync(capture)], ['GNU time (apt-get install time)', existsSync('/usr/bin/time')], ['editcap (apt-get install wireshark-common)', spawnSync('sh', ['-c', 'command -v editcap']).status === 0]]) {
  if (!ok) {
    console.error(`bench-merge: ${what} not found`);
    process.exit(2);
  }
}
const cli = path.join(root, 'dist/cli.js');
const work = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'tcp-lifecycle-merge-'));
try {
  const packets = Number(/(\d+) packets/.exec(execFileSync(process.execPath, [path.join(root, 'scripts/bench/bare-read.mjs'), capture], { encoding: 'utf8' }))?.[1] ?? 0);
  execFileSync('editcap', ['-F', 'pcap', '-c', String(Math.ceil(packets / parts)), capture, path.join(work, 'part.pcap')]);
  const files = readdirSync(work).filter((f) => f.startsWith('part')).sort().map((f) => path.join(work, f));

  /** CPU seconds and peak KiB of one process, its standard output to `out`. */
  const timed = (args, out, command = [process.execPath, cli]) => {
    const fd = openSync(out, 'w');
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', ...command, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    closeSync(fd);
    if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    const [user, sys, kb] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    return { cpu: user + sys, kb };
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const one = [], perFile = [], inTurn = [], merge = [], mergeKb = [], copy = [];
  const analyses = files.map((f) => `${f}.ndjson`);
  for (let i = 0; i < runs; i++) {
    one.push(timed(['analyze', '--format', 'ndjson', capture], path.join(work, 'one.ndjson')).cpu);
    inTurn.push(timed(files, '/dev/null', [process.execPath, path.join(root, 'scripts/bench/analyze-files.mjs')]).cpu);
    perFile.push(files.reduce((sum, f, k) => sum + timed(['analyze', '--format', 'ndjson', f], analyses[k]).cpu, 0));
    const m = timed(['merge', ...analyses], path.join(work, 'merged.ndjson'));
    merge.push(m.cpu);
    mergeKb.push(m.kb);
    copy.push(timed(analyses, path.join(work, 'copy.ndjson'), ['cat']).cpu);
  }
  const oneSize = statSync(path.join(work, 'one.ndjson')).size;
  const partsSize = analyses.reduce((sum, f) => sum + statSync(f).size, 0);
  const o = median(one), p = median(perFile), w = median(inTurn), m = median(merge), c = median(copy);
  console.log(`${capture}: ${packets.toLocaleString('en')} packets in ${files.length} files, ${runs} runs, medians (CPU s, user + system)`);
  console.log(`one analyze:                            ${o.toFixed(2)}`);
  console.log(`${files.length} analyses, a process per file:       ${p.toFixed(2)}`);
  console.log(`${files.length} analyses in one process, in turn:   ${w.toFixed(2)} (${(w / o).toFixed(3)} times one analyze)`);
  console.log(`merge:                                  ${m.toFixed(2)} (peak ${Math.round(Math.max(...mergeKb) / 1024)} MiB)`);
  console.log(`copying the analyses into one file:     ${c.toFixed(2)} (cat: the floor of a merge that writes the records)`);
  console.log(`per file + merge / one:                 ${((p + m) / o).toFixed(3)} a process per file, ${((w + m) / o).toFixed(3)} in turn`);
  console.log(`merge share of total:                   ${((100 * m) / (p + m)).toFixed(1)}% a process per file, ${((100 * m) / (w + m)).toFixed(1)}% in turn; a copy alone ${((100 * c) / (w + c)).toFixed(1)}%`);
  console.log(`analyses ${(partsSize / 1e6).toFixed(1)} MB against one run's ${(oneSize / 1e6).toFixed(1)} MB: ${(partsSize / oneSize).toFixed(3)} times`);
  const [single, merged] = [await digests(path.join(work, 'one.ndjson')), await digests(path.join(work, 'merged.ndjson'))];
  const differ = [...single].filter(([key, digest]) => merged.get(key) !== digest).map(([key]) => key);
  const extra = [...merged.keys()].filter((key) => !single.has(key));
  console.log(`merged equals one run: ${differ.length === 0 && extra.length === 0 ? 'yes' : `no: ${differ.length} records differ or are missing, ${extra.length} extra (${[...differ, ...extra].slice(0, 5).join(', ')})`}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * Each record of an analysis by its id (findings by code and subject, the
 * summary by its type), as a digest of its JSON without the fields that name
 * a file or a frame within one, which differ between one run and a merge.
 */
async function digests(file) {
  const out = new Map();
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const r = JSON.parse(line);
    let key;
    let comparable;
    if (r.type === 'connection') {
      const { first_frame, last_frame, file: _file, first_frame_in_file, last_frame_in_file, last_file, wireshark_filter, ...rest } = r;
      key = r.id;
      comparable = { ...rest, anomalies: rest.anomalies.map(({ frame, ...a }) => a), transitions: rest.transitions.map(({ frame, ...t }) => t) };
    } else if (r.type === 'finding') {
      key = `finding ${r.code} ${r.endpoint ?? ''}`;
      comparable = { ...r, examples: r.examples.map(({ first_frame, last_frame, ...e }) => e) };
    } else if (r.type === 'summary') {
      key = 'summary';
      comparable = { ...r, files: [] };
    } else continue;
    out.set(key, createHash('sha1').update(JSON.stringify(comparable)).digest('hex'));
  }
  return out;
}
