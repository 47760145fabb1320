/**
 * Eviction never hides an anomaly: a connection that leaves the live table
 * (beyond --max-live) in a wait is judged by what it is at the end of the
 * capture, since it stayed silent, or taken back when it sends again.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ACK, FIN, SYN } from '../../src/decode/packet.js';
import { cli } from '../helpers/cli.js';
import { captureRunsTo, CISN, handshake, pcapOf, run, SISN, type Seg } from '../state/builders.js';

/** `n` connections whose client closed and whose server only acknowledged: CLOSE_WAIT, from t=0. */
function closeWaits(n: number): Seg[] {
  const out: Seg[] = [];
  for (let i = 0; i < n; i++) {
    const port = 30000 + i;
    out.push(
      ...handshake(i * 0.001, port),
      { from: 'c', flags: FIN | ACK, seq: CISN + 1, ack: SISN + 1, t: 0.5 + i * 0.001, port },
      { from: 's', flags: ACK, seq: SISN + 1, ack: CISN + 2, t: 0.501 + i * 0.001, port },
    );
  }
  return out;
}

/** A burst of `n` SYNs from new ports, from t=1: handshakes, judged when they leave the table (a flood is what fills it). */
function synBurst(n: number): Seg[] {
  return Array.from({ length: n }, (_, i) => ({ from: 'c' as const, flags: SYN, seq: CISN, t: 1 + i * 0.0001, port: 10000 + i }));
}

const leak = [...closeWaits(20), ...synBurst(150), captureRunsTo(20)];

test('20 CLOSE_WAIT connections pushed out by a burst of SYNs are still judged stuck at the end of the capture', (t) => {
  const { records, tracker } = run(leak, { maxLive: 100 });
  t.true(tracker.evicted >= 20);
  const leaked = records.filter((r) => r.server_state === 'CLOSE_WAIT');
  t.is(leaked.length, 20);
  for (const r of leaked) {
    const a = r.anomalies.find((x) => x.code === 'close_wait_stuck')!;
    t.truthy(a, r.id);
    t.regex(a.detail, /still at end of capture/);
  }
  t.is(tracker.judgedEarly, 0);
});

test('check fails on that leak, and the summary counts the eviction', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'eviction-'));
  const file = path.join(dir, 'leak.pcap');
  writeFileSync(file, pcapOf(leak));
  const r = await cli(['check', '--max-live', '100', '--max', 'close_wait_stuck=0', '--format', 'ndjson', file]);
  t.is(r.status, 1, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  t.true(summary.counts.evicted_connections >= 20);
  t.is(summary.counts.evicted_judged_early, 0);
  t.true(summary.warnings.some((w: string) => /judged by what they were at the end of the capture/.test(w)));
});

test('an evicted connection that sends again is taken back: one record, the close it made seen whole', (t) => {
  const { records, tracker } = run([
    ...closeWaits(1),
    ...synBurst(10),
    { from: 's', flags: FIN | ACK, seq: SISN + 1, ack: CISN + 2, t: 5, port: 30000 },
    { from: 'c', flags: ACK, seq: CISN + 2, ack: SISN + 2, t: 5.001, port: 30000 },
  ], { maxLive: 8 });
  t.is(tracker.evicted, 4, 'the CLOSE_WAIT connection, idle longest, left first; back, it pushed out a fourth');
  const mine = records.filter((r) => r.client.endsWith(':30000'));
  t.is(mine.length, 1);
  t.is(mine[0]!.packets, 7);
  t.is(mine[0]!.server_state, 'CLOSED');
  t.is(mine[0]!.client_state, 'TIME_WAIT');
});

test('more connections waiting at once than --max-live: the oldest are judged as they leave, counted', (t) => {
  const { records, tracker } = run([...closeWaits(40), captureRunsTo(20)], { maxLive: 10 });
  t.is(tracker.evicted, 31, '41 connections, 10 live');
  t.is(tracker.judgedEarly, 21, '31 left the table, 10 of them may wait for the end');
  const stuck = records.filter((r) => r.anomalies.some((a) => a.code === 'close_wait_stuck'));
  t.is(stuck.length, 10 + 10, 'the 10 parked and the 10 live at the end; the 20 judged early had waited too briefly');
});
