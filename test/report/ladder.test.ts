/** A ladder of a long connection shows its start and its end, and what changed in the segments it leaves out. */
import test from 'ava';
import path from 'node:path';
import { runPipeline } from '../../src/analyze.js';
import type { ConnectionRecord } from '../../src/records.js';
import { ladderText } from '../../src/report/ladder.js';
import { PUBLIC_CAPTURES } from '../helpers/paths.js';

test('a long connection is drawn as its first and last segments with the gap between them named', async (t) => {
  const records: ConnectionRecord[] = [];
  await runPipeline([path.join(PUBLIC_CAPTURES, 'sv-one-sided-server-only-imap.pcap')], { keepSegments: 24 }, (r) => {
    if (r.type === 'connection') records.push(r);
  });
  const c = records[0]!;
  t.is(c.segments!.length, 24);
  t.is(c.segments![12]!.skipped_before, c.packets - 24);
  const text = ladderText(c);
  t.regex(text, /#1\n|#1$/m, 'the first segment');
  t.regex(text, /#139/, 'the last segment');
  t.regex(text, new RegExp(`\\.\\.\\. ${c.packets - 24} segment\\(s\\)`));
});

test('a state change inside the left-out segments is named in the gap', (t) => {
  const seg = (frame: number, from: 'client' | 'server', skipped?: number) => ({ frame, ts: 1000 + frame, from, flags: '.', seq: frame, ack: 1, len: 0, win: 500, ...(skipped ? { skipped_before: skipped } : {}) });
  const c = {
    client: '10.0.0.1:40000', server: '10.0.0.2:80', first_ts: 1001, packets: 10,
    segments: [seg(1, 'client'), seg(10, 'server', 8)],
    transitions: [{ ts: 1005, side: 'server', from: 'ESTABLISHED', to: 'FIN_WAIT1', cause: 'sent FIN', frame: 5 }],
  } as unknown as ConnectionRecord;
  t.regex(ladderText(c), /\.\.\. 8 segment\(s\); server FIN_WAIT1 at #5 \.\.\./);
});
