/**
 * What an analysis keeps for `merge` of how its lifecycles began: a head for
 * every lifecycle that began with a SYN and may continue one of the previous
 * file, none for one that took its 4-tuple over from a lifecycle that began
 * with a plain handshake (the merge stops at that one). On a kernel capture
 * whose client ports come round again; `merge.test.ts` shows the merges of
 * such analyses equal one run.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runPipelineTo } from '../../src/analyze.js';
import { readHeads, readWatched, type Head, type Part, type WatchedEntry } from '../../src/merge/parts.js';
import { WATCHED_PACKETS } from '../../src/merge/collector.js';
import type { ConnectionRecord } from '../../src/records.js';
import { analysisNdjson } from '../helpers/analysis.js';
import { CAPTURES, ROOT } from '../helpers/paths.js';

test('heads are kept for the first lifecycle of each 4-tuple, and none for one taking over from a plain handshake', async (t) => {
  const lines = (await analysisNdjson([path.join(CAPTURES, 'port-reuse-storm.pcap')])).toString('utf8').trim().split('\n');
  const records = lines.map((line) => JSON.parse(line) as ConnectionRecord | { type: 'merge_state'; parts: Part[] });
  const state = records.find((r) => r.type === 'merge_state') as { parts: Part[] };
  const heads = new Map<number, Head>();
  const watched = new Map<number, WatchedEntry>();
  for (const part of state.parts) {
    readHeads(part, 0, heads);
    readWatched(part, 0, 0, WATCHED_PACKETS, watched);
  }
  const connections = (records.filter((r) => r.type === 'connection') as ConnectionRecord[]).sort((a, b) => a.first_frame - b.first_frame);
  const before = new Map<string, ConnectionRecord>();
  let leftOut = 0;
  for (const c of connections) {
    const key = `${c.client} ${c.server}`;
    const predecessor = before.get(key);
    before.set(key, c);
    if (c.client_rule !== 'syn') continue;
    if (!predecessor) {
      t.true(heads.has(c.first_frame), `${c.id}, the first on ${key}, has a head`);
      continue;
    }
    const tookOverFromPlain = c.anomalies.some((a) => a.code === 'time_wait_reuse') && predecessor.client_rule === 'syn' && !watched.has(predecessor.first_frame);
    if (!tookOverFromPlain) continue;
    t.false(heads.has(c.first_frame), `${c.id} took ${key} over from ${predecessor.id}, a plain handshake: no head`);
    t.false(watched.has(c.first_frame), `${c.id} is not watched`);
    leftOut++;
  }
  t.true(leftOut > 100, `${leftOut} lifecycles left out`);
  t.true(heads.size < connections.filter((c) => c.client_rule === 'syn').length);
});

test('a flood of half-open handshakes keeps room for one packet each, not for all it may keep', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'collector-'));
  const flood = path.join(dir, 'syn-20000.pcap');
  const made = spawnSync(process.execPath, [path.join(ROOT, 'scripts/bench/make-syn-flood.mjs'), '20000', flood], { encoding: 'utf8' });
  t.is(made.status, 0, made.stderr);
  const before = process.memoryUsage().arrayBuffers;
  let atEnd = 0;
  let open = 0;
  await runPipelineTo([flood], {}, {
    connection: (summary) => void (open += summary.open_at_end ? 1 : 0),
    // Every lifecycle is live here, and watched: what the collector holds for them is all held now.
    openRecords: (edge) => void (edge === 'before' && (atEnd = process.memoryUsage().arrayBuffers)),
    mergeState() {},
    finding() {},
    summary() {},
  });
  rmSync(dir, { recursive: true, force: true });
  t.is(open, 20000);
  const perConnection = (atEnd - before) / 20000;
  // One packet is 48 numbers (384 bytes); room for all 32 would be 12 KiB each, 240 MiB here.
  t.true(perConnection < 1024, `${perConnection.toFixed(0)} bytes outside the heap per half-open handshake`);
});
