/** The flow table finds a 4-tuple's lifecycle in both directions, whatever collides, is removed or grows. */
import test from 'ava';
import { PacketView, SYN } from '../../src/decode/packet.js';
import { FlowTable } from '../../src/flow/flow-table.js';
import { Lifecycle } from '../../src/flow/lifecycle.js';

function packet(src: number, srcPort: number, dst: number, dstPort: number, ipVersion: 4 | 6 = 4): PacketView {
  const p = new PacketView();
  p.ipVersion = ipVersion;
  p.src[0] = src;
  p.dst[0] = dst;
  p.srcPort = srcPort;
  p.dstPort = dstPort;
  p.flags = SYN;
  return p;
}

const lifecycleOf = (p: PacketView) => new Lifecycle().begin(p, true, 'syn', undefined);

test('a lifecycle is found from either direction, and not from another 4-tuple of the same hash', (t) => {
  const table = new FlowTable();
  const out = packet(0x0a000001, 40000, 0x0a000002, 80);
  const back = packet(0x0a000002, 80, 0x0a000001, 40000);
  const l = lifecycleOf(out);
  table.insert(7, l);
  t.is(table.find(7, out), l);
  t.is(table.find(7, back), l);
  t.is(table.find(7, packet(0x0a000001, 40001, 0x0a000002, 80)), undefined);
  t.is(table.find(7, packet(0x0a000001, 40000, 0x0a000002, 80, 6)), undefined, 'IPv6 with the same words is another flow');
  t.is(table.find(8, out), undefined);
});

test('thousands of flows on few hashes: each found, removed ones gone, the rest still found after the table grows', (t) => {
  const table = new FlowTable();
  const flows = Array.from({ length: 5000 }, (_, i) => {
    const p = packet(0x0a000001, 10000 + i, 0x0a000002, 80);
    return { p, hash: i % 13, l: lifecycleOf(p) };
  });
  for (const f of flows) table.insert(f.hash, f.l);
  t.is(table.size, 5000);
  for (const f of flows) if (f.p.srcPort % 2 === 0) t.true(table.remove(f.hash, f.l));
  t.false(table.remove(flows[0]!.hash, flows[0]!.l), 'removing twice finds nothing');
  t.is(table.size, 2500);
  for (const f of flows) t.is(table.find(f.hash, f.p), f.p.srcPort % 2 === 0 ? undefined : f.l);
  const more = Array.from({ length: 3000 }, (_, i) => {
    const p = packet(0x0a000003, 20000 + i, 0x0a000002, 443);
    return { p, hash: (i * 7919) & 0x3fffffff, l: lifecycleOf(p) };
  });
  for (const f of more) table.insert(f.hash, f.l);
  for (const f of [...flows.filter((f) => f.p.srcPort % 2 === 1), ...more]) t.is(table.find(f.hash, f.p), f.l);
  t.is([...table.values()].length, 5500);
  table.clear();
  t.is(table.size, 0);
  t.is(table.find(more[0]!.hash, more[0]!.p), undefined);
});
