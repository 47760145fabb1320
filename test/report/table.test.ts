/**
 * The text table of `analyze`: rows in the order of the connections' first
 * frames whatever order they ended in, every column under its header, IPv6
 * endpoints inside their column, bytes and Zeek's conn_state shown.
 */
import test from 'ava';
import path from 'node:path';
import { CAPTURES, PUBLIC_CAPTURES } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';

/** The table's lines: headers (written again when a column widens, after a blank line) and rows. */
function table(stdout: string): string[] {
  return stdout.split('\n').filter((l) => /^(C\d+|id) /.test(l));
}

for (const file of [path.join(PUBLIC_CAPTURES, 'zeek-echo-connections.pcap'), path.join(PUBLIC_CAPTURES, 'sv-syn-flood-200.pcap'), path.join(CAPTURES, 'close-wait-leak.pcap')]) {
  test(`${path.basename(file)}: rows in the order of first frames, though connections end in another`, (t) => {
    const r = runCli(['analyze', file]);
    t.is(r.status, 0, r.stderr);
    const ids = table(r.stdout).filter((l) => l.startsWith('C')).map((l) => Number(l.slice(1, l.indexOf(' '))));
    t.true(ids.length > 0);
    t.deepEqual(ids, [...ids].sort((a, b) => a - b));
    const ndjson = runCli(['analyze', '--format', 'ndjson', file]);
    const ended = ndjson.stdout.split('\n').filter((l) => l.includes('"type":"connection"')).map((l) => (JSON.parse(l) as { first_frame: number }).first_frame);
    t.is(ids.length, ended.length, 'a row per connection');
  });
}

test('every column has a header and IPv6 endpoints fit theirs; bytes and conn_state are shown', (t) => {
  const r = runCli(['analyze', path.join(CAPTURES, 'close-wait-leak.pcap'), path.join(CAPTURES, 'ipv6-close-wait.pcap')]);
  t.is(r.status, 0, r.stderr);
  const lines = table(r.stdout).filter((l) => l !== '');
  let header = lines[0]!;
  for (const line of lines) {
    if (line.startsWith('id ')) {
      header = line;
      continue;
    }
    const starts = [...header.matchAll(/(?<=^|\s{2})\S/g)].map((m) => m.index!);
    const cells = [...line.matchAll(/(?<=^|\s{2})\S/g)].map((m) => m.index!);
    t.true(cells.length >= 13, line);
    for (const at of cells.slice(0, 13)) t.true(starts.includes(at), `every cell under a header: ${line}`);
  }
  t.regex(r.stdout, /\[fd77::1\]:\d+ +\[fd77::2\]:8080 +handshake/);
  t.regex(lines[0]!, /conn_state .*bytes c\/s .*duration .*handshake .*frames .*anomalies/);
  t.regex(r.stdout, /C9 +10\.77\.0\.1:57646 +10\.77\.0\.2:8080 +handshake +half +S2 +FIN_WAIT2 +CLOSE_WAIT +5\/4 +12 B\/12 B/);
});
