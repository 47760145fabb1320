#!/usr/bin/env node
/**
 * Compares every capture of a sweep (OUT/NAME.POINT.pcap) with the kernel's
 * sockets beside it (OUT/NAME.ss-ROLE.txt): each endpoint's end state, and
 * the anomalies that contradict the kernel. A socket `ss` no longer lists is
 * CLOSED. Needs the project built (`npm run build`).
 *   node scripts/captures/sweep/against-kernel.mjs OUT [-v]
 * Prints a line per capture, then the totals: endpoints compared, state
 * mismatches by kind (side, ours, kernel's), false `half_open`, stuck
 * anomalies still open at the end where the kernel holds another state (an
 * orphaned FIN_WAIT2 the kernel reaped is counted apart: the wire cannot
 * tell it from a half-close), and kernel waits of 2.5 s or more left unflagged.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const { runPipeline } = await import(path.join(root, 'dist/analyze.js'));
const { formatIpv6 } = await import(path.join(root, 'dist/flow/address.js'));

const SS_STATE = {
  ESTAB: 'ESTABLISHED', 'SYN-SENT': 'SYN_SENT', 'SYN-RECV': 'SYN_RECV', 'FIN-WAIT-1': 'FIN_WAIT1', 'FIN-WAIT-2': 'FIN_WAIT2',
  'TIME-WAIT': 'TIME_WAIT', 'CLOSE-WAIT': 'CLOSE_WAIT', 'LAST-ACK': 'LAST_ACK', CLOSING: 'CLOSING',
};
const STUCK = { fin_wait1_stuck: 'FIN_WAIT1', fin_wait2_stuck: 'FIN_WAIT2', close_wait_stuck: 'CLOSE_WAIT', last_ack_stuck: 'LAST_ACK' };
const STUCK_AFTER = 2;

/** "ip:port" as the records spell it: IPv6 bracketed, in RFC 5952 short form. */
function endpoint(text) {
  const i = text.lastIndexOf(':');
  let host = text.slice(0, i).replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (host.includes(':')) {
    const [head, tail] = host.split('::');
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right].map((g) => parseInt(g || '0', 16));
    const words = new Uint32Array(4);
    for (let w = 0; w < 4; w++) words[w] = ((groups[2 * w] << 16) | groups[2 * w + 1]) >>> 0;
    host = `[${formatIpv6(words)}]`;
  }
  return `${host}:${text.slice(i + 1)}`;
}

/** The kernel's sockets of a run, "local|peer" to state, LISTEN left out. */
function kernelView(dir, name) {
  const view = new Map();
  for (const file of readdirSync(dir).filter((f) => f.startsWith(`${name}.ss-`))) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (/^\s/.test(line) || !SS_STATE[f[0]] || f.length < 5) continue;
      view.set(`${endpoint(f[3])}|${endpoint(f[4])}`, SS_STATE[f[0]]);
    }
  }
  return view;
}

const [dir, ...flags] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/captures/sweep/against-kernel.mjs OUT [-v]');
  process.exit(2);
}
const verbose = flags.includes('-v');
const totals = { captures: 0, endpoints: 0, mismatches: 0, half_open: 0, false_half_open: 0, stuck_at_end: 0, false_stuck_at_end: 0, reaped_fin_wait2: 0, real_waits: 0, missed_waits: 0 };
const kinds = new Map();
const count = (key) => kinds.set(key, (kinds.get(key) ?? 0) + 1);

for (const file of readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort()) {
  const name = file.slice(0, file.indexOf('.'));
  const view = kernelView(dir, name);
  const records = [];
  await runPipeline([path.join(dir, file)], { stuckAfter: STUCK_AFTER }, (r) => records.push(r));
  const connections = records.filter((r) => r.type === 'connection');
  const end = Math.max(...connections.map((c) => c.last_ts));
  // A reused 4-tuple: only its last lifecycle can be what the kernel still holds.
  const last = new Map();
  for (const c of connections) {
    const key = `${c.client}|${c.server}`;
    if (!last.has(key) || last.get(key).first_ts <= c.first_ts) last.set(key, c);
  }
  const notes = [];
  const reported = new Set();
  let compared = 0;
  for (const c of connections) {
    const current = last.get(`${c.client}|${c.server}`) === c;
    for (const side of ['client', 'server']) {
      const me = c[side];
      const peer = c[side === 'client' ? 'server' : 'client'];
      reported.add(`${me}|${peer}`);
      const kernel = current ? view.get(`${me}|${peer}`) ?? 'CLOSED' : 'CLOSED';
      const ours = c[`${side}_state`];
      compared++;
      if (ours !== kernel) {
        totals.mismatches++;
        count(`${side}: ours ${ours}, kernel ${kernel}`);
        notes.push(`${c.id} ${side} ${me}: ours ${ours}, kernel ${kernel} (${c.history})`);
      }
      const anomalies = c.anomalies.filter((a) => a.side === side);
      for (const a of anomalies) {
        if (a.code === 'half_open') {
          totals.half_open++;
          if (kernel !== 'SYN_RECV' && c.server_state !== 'SYN_RECV') (totals.false_half_open++, notes.push(`${c.id} half_open`));
        }
        if (STUCK[a.code] && a.detail.includes('still at end')) {
          totals.stuck_at_end++;
          if (kernel === STUCK[a.code]) continue;
          if (a.code === 'fin_wait2_stuck' && kernel === 'CLOSED') totals.reaped_fin_wait2++;
          else (totals.false_stuck_at_end++, notes.push(`${c.id} ${a.code}, kernel ${kernel}`));
        }
      }
      const wait = Object.entries(STUCK).find(([, state]) => state === kernel)?.[0];
      const entered = wait && c.transitions.filter((t) => t.side === side && t.to === kernel).at(-1)?.ts;
      if (entered !== undefined && end - entered >= STUCK_AFTER + 0.5) {
        totals.real_waits++;
        if (!anomalies.some((a) => a.code === wait)) (totals.missed_waits++, notes.push(`${c.id} ${side}: kernel ${kernel}, no ${wait}`));
      }
    }
  }
  for (const [key, state] of view) {
    if (!reported.has(key)) (totals.mismatches++, count(`no record: kernel ${state}`), notes.push(`kernel socket ${key} (${state}) has no record`));
  }
  totals.captures++;
  totals.endpoints += compared;
  console.log(`${file}: ${connections.length} connections, ${compared} endpoints, ${notes.length} notes`);
  if (verbose) for (const note of notes) console.log(`    ${note}`);
}
console.log(JSON.stringify(totals));
for (const [kind, n] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(5)}  ${kind}`);
