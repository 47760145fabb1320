/**
 * What the kernel-made captures of crossing FINs, forged overlapping data and
 * FINs before a handshake must show beyond the end states (those are checked
 * against ss in kernel-truth.test.ts).
 */
import test from 'ava';
import path from 'node:path';
import { runPipeline } from '../../src/analyze.js';
import type { ConnectionRecord, OutputRecord } from '../../src/records.js';
import { CAPTURES } from '../helpers/paths.js';

async function connections(name: string): Promise<ConnectionRecord[]> {
  const records: OutputRecord[] = [];
  await runPipeline([path.join(CAPTURES, `${name}.pcap`)], { stuckAfter: 2 }, (r) => records.push(r));
  return records.filter((r): r is ConnectionRecord => r.type === 'connection');
}

const moves = (c: ConnectionRecord, side: 'client' | 'server') => c.transitions.filter((t) => t.side === side).map((t) => t.to);

test('simultaneous close: both FINs crossed, the client went through CLOSING, both sides end in TIME_WAIT', async (t) => {
  const [c, ...rest] = await connections('simultaneous-close');
  t.is(rest.length, 0);
  t.is(c!.active_closer, 'both');
  t.is(c!.closing, 'fin');
  t.deepEqual(moves(c!, 'client'), ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT1', 'CLOSING', 'TIME_WAIT']);
  t.deepEqual(moves(c!, 'server'), ['SYN_RECV', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT']);
  // Both FINs were sent before either was acknowledged: frame 20 and 21 on the wire.
  const fins = c!.transitions.filter((x) => x.cause === 'sent FIN').map((x) => x.frame);
  t.deepEqual(fins, [20, 21]);
});

test('overlapping data with other bytes: counted as the client\'s retransmissions (as tshark marks them), the lifecycle closes normally', async (t) => {
  const [c, ...rest] = await connections('overlapping-retransmission');
  t.is(rest.length, 0, 'the forged segment joins the connection, it does not start another');
  t.is(c!.opening, 'handshake');
  t.is(c!.closing, 'fin');
  t.is(c!.anomalies.find((a) => a.code === 'retransmissions' && a.side === 'client')?.count, 2);
  t.is(c!.anomalies.find((a) => a.code === 'retransmissions' && a.side === 'server')?.count, 4);
  t.is(c!.client_bytes, 100 + 80 + 60);
});

test('FINs before the handshake are a lifecycle of their own, aborted by the listener\'s RST; the real connection after them is whole', async (t) => {
  const [stray, real, ...rest] = await connections('fin-before-handshake');
  t.is(rest.length, 0);
  t.is(stray!.opening, 'midstream');
  t.is(stray!.closing, 'rst');
  t.is(stray!.anomalies.find((a) => a.code === 'reset')?.side, 'server');
  t.is(stray!.packets, 3);
  t.is(real!.opening, 'handshake');
  t.is(real!.client_rule, 'syn');
  t.is(real!.conn_state, 'SF');
  t.is(real!.first_frame, 15);
  t.deepEqual(moves(real!, 'client'), ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT']);
});
