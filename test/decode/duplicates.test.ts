/** `tcpdump -i any` on a bridge captures every packet twice: the copies count once and never look like retransmissions. */
import test from 'ava';
import path from 'node:path';
import { runPipeline } from '../../src/analyze.js';
import type { ConnectionRecord, OutputRecord } from '../../src/records.js';
import { ROOT } from '../helpers/paths.js';

test('copies of one packet on two bridge ports count once: 10 packets per connection, no retransmission', async (t) => {
  const records: OutputRecord[] = [];
  const summary = await runPipeline([path.join(ROOT, 'test/fixtures/decode/bridge-any-copies.pcap')], {}, (r) => records.push(r));
  // tshark counts 40 TCP frames in 2 conversations of 20: each segment twice.
  t.is(summary.tcp_packets, 40);
  t.is(summary.counts.duplicate_copies, 20);
  const connections = records.filter((r): r is ConnectionRecord => r.type === 'connection');
  t.is(connections.length, 2);
  for (const c of connections) {
    t.is(c.packets, 10);
    t.deepEqual(c.anomalies.map((a) => a.code), []);
    t.is(c.client_state, 'TIME_WAIT');
    t.is(c.server_state, 'CLOSED');
  }
});
