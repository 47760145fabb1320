/**
 * Zeek's own expected conn.log for public traces (../shared/captures-public/zeek-oracle):
 * our `conn_state` per connection equals Zeek's, or the difference is named here with why.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runPipeline } from '../../src/analyze.js';
import type { ConnectionRecord } from '../../src/records.js';
import { PUBLIC_CAPTURES } from '../helpers/paths.js';

const ORACLE = path.join(PUBLIC_CAPTURES, 'zeek-oracle');

interface Row { [column: string]: string }

function parseConnLog(text: string): Row[] {
  const lines = text.split('\n').filter((l) => l && !l.startsWith('### '));
  const fieldsLine = lines.find((l) => l.startsWith('#fields'));
  const body = lines.filter((l) => !l.startsWith('#'));
  const header = fieldsLine ? fieldsLine.split('\t').slice(1) : body.shift()!.split('\t');
  return body.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [header[i]!, v])));
}

const host = (endpoint: string) => (endpoint.startsWith('[') ? endpoint.slice(1, endpoint.indexOf(']')) : endpoint.slice(0, endpoint.lastIndexOf(':')));
const port = (endpoint: string) => endpoint.slice(endpoint.lastIndexOf(':') + 1);

/** Where we and Zeek differ, and why ours is the better reading or the rules differ. Keyed "capture|orig_h|resp_h|resp_p". */
const EXPLAINED: Record<string, string> = {
  'zeek-modbus-and-non-modbus-p502.pcap|198.74.56.135|192.168.10.111|502':
    'SYN, SYN-ACK, RST from the originator (a scan), then 16 s later data and an RST back without a new SYN. ' +
    'We keep the late packets in the aborted lifecycle (RSTO: no new SYN, so no new connection); Zeek logs them as a second connection, RSTRH.',
  'zeek-ssh-client-side-half-duplex.pcap|192.168.1.79|131.159.21.1|22':
    'Only the originator was captured and it sent FIN: SH by the definition ("originator sent a SYN followed by a FIN, no SYN-ACK seen"). ' +
    'Zeek gives S0 where the SYN itself was not captured (history DAF); we give SH for a one-sided FIN either way.',
  'zeek-ssh-client-side-half-duplex.pcap|192.168.2.1|192.168.2.158|22': 'as above: one-sided capture, originator FIN seen, SYN not captured',
  'zeek-ssh-client-side-half-duplex.pcap|192.168.1.32|128.2.10.238|22': 'as above: one-sided capture, originator FIN seen, SYN not captured',
};

const files = readdirSync(ORACLE).filter((f) => f.endsWith('.conn.log'));
for (const file of files) {
  const capture = file.replace(/\.conn\.log$/, '');
  const rows = parseConnLog(readFileSync(path.join(ORACLE, file), 'utf8')).filter((r) => r.conn_state && (!r.proto || r.proto === 'tcp'));
  if (rows.length === 0 || !rows.every((r) => r['id.orig_h'] && r['id.resp_p'])) continue;
  test(`${capture}: conn_state equals Zeek's for every connection it logs`, async (t) => {
    const ours: ConnectionRecord[] = [];
    await runPipeline([path.join(PUBLIC_CAPTURES, capture)], {}, (r) => { if (r.type === 'connection') ours.push(r); });
    const differences: string[] = [];
    for (const row of rows) {
      const key = `${capture}|${row['id.orig_h']}|${row['id.resp_h']}|${row['id.resp_p']}`;
      const match = ours.filter((c) =>
        (host(c.client) === row['id.orig_h'] && host(c.server) === row['id.resp_h'] && port(c.server) === row['id.resp_p'] && (!row['id.orig_p'] || port(c.client) === row['id.orig_p'])) ||
        (host(c.server) === row['id.orig_h'] && host(c.client) === row['id.resp_h'] && port(c.client) === row['id.resp_p'] && (!row['id.orig_p'] || port(c.server) === row['id.orig_p'])));
      const states = match.map((c) => c.conn_state);
      if (!states.includes(row.conn_state!) && !EXPLAINED[key]) differences.push(`${key}: Zeek ${row.conn_state}, ours ${states.join('/') || 'no connection'}`);
    }
    t.deepEqual(differences, []);
  });
}
