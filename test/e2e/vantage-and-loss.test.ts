/**
 * The summary and the report name where the capture was taken and what the
 * capture itself lost, on kernel-made captures: a router's client-side port,
 * and a capture with a data frame deleted after the fact.
 */
import test from 'ava';
import path from 'node:path';
import { runPipeline } from '../../src/analyze.js';
import type { OutputRecord, SummaryRecord } from '../../src/records.js';
import { cli } from '../helpers/cli.js';
import { CAPTURES } from '../helpers/paths.js';

async function summaryOf(file: string): Promise<SummaryRecord> {
  const records: OutputRecord[] = [];
  await runPipeline(path.join(CAPTURES, file), {}, (r) => records.push(r));
  return records.at(-1) as SummaryRecord;
}

test('a capture on the router\'s client-side port is near the clients, by TTLs (the server\'s packets crossed the router)', async (t) => {
  const s = await summaryOf('router-lossy.pcap');
  t.is(s.vantage, 'near_client');
  t.is(s.vantage_connections.near_client, s.connections);
});

test('a capture on one of two hosts a veth apart is near both ends', async (t) => {
  t.is((await summaryOf('client-close.pcap')).vantage, 'near_both');
});

test('segments acknowledged but never captured are counted per connection and for the capture, and warned about', async (t) => {
  const records: OutputRecord[] = [];
  await runPipeline(path.join(CAPTURES, 'missing-data.pcap'), {}, (r) => records.push(r));
  const s = records.at(-1) as SummaryRecord;
  const connections = records.filter((r) => r.type === 'connection');
  t.is(s.counts.missed_segments, connections.reduce((n, c) => n + c.missed_segments, 0));
  t.true(s.counts.missed_segments! >= 1);
  t.is(s.counts.missed_segment_connections, connections.filter((c) => c.missed_segments > 0).length);
  t.true(s.warnings.some((w) => /acknowledged by their peer that the capture never held: the capture itself lost them/.test(w)));
});

test('the report names the capture point and the loss in the capture, in text, Markdown and HTML', async (t) => {
  const file = path.join(CAPTURES, 'missing-data.pcap');
  const [text, md, html] = await Promise.all(['text', 'md', 'html'].map((format) => cli(['report', '--format', format, file])));
  t.regex(text!.stdout, /capture point: near both ends/);
  t.regex(text!.stdout, /loss in the capture: 1 segment\(s\) on 1 connection\(s\) were acknowledged but never captured/);
  t.regex(md!.stdout, /\| capture point \| near both ends/);
  t.regex(md!.stdout, /\| loss in the capture \| 1 segment/);
  t.regex(html!.stdout, /<th>capture point<\/th><td>near both ends/);
  t.regex(html!.stdout, /<th>loss in the capture<\/th><td>1 segment/);
  const clean = await cli(['report', path.join(CAPTURES, 'client-close.pcap')]);
  t.regex(clean.stdout, /loss in the capture: none seen/);
});

test('analyze\'s text summary names the capture point and the loss in the capture too', async (t) => {
  const lossy = await cli(['analyze', path.join(CAPTURES, 'missing-data.pcap')]);
  t.regex(lossy.stdout, /\ncapture point: near both ends \(one host or segment\) \(near both 3 connections; by handshake timing and TTLs\)\n/);
  t.regex(lossy.stdout, /\nloss in the capture: 1 segment\(s\) on 1 connection\(s\) were acknowledged but never captured \(inferred\)\n/);
  const router = await cli(['analyze', path.join(CAPTURES, 'router-lossy.pcap')]);
  t.regex(router.stdout, /\ncapture point: near the clients \(near the client 3 connections/);
  t.regex(router.stdout, /\nloss in the capture: none seen\n/);
});
