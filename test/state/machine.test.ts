/**
 * The endpoint state machine on hand-built segments: exact sequences that a
 * kernel capture cannot order on demand (crossing FINs, out-of-window RSTs).
 */
import test from 'ava';
import { ACK, FIN, PSH, RST, SYN } from '../../src/decode/packet.js';
import { formatIpv6 } from '../../src/flow/address.js';
import { toConnectionRecord } from '../../src/flow/lifecycle.js';
import { FlowTracker } from '../../src/flow/tracker.js';
import type { ConnectionRecord } from '../../src/records.js';
import { CISN, feed, handshake, run, SISN, type Seg } from './builders.js';

test('a handshake then a client close leaves the client in TIME_WAIT and the server CLOSED', (t) => {
  const { records } = run([
    ...handshake(),
    { from: 'c', flags: FIN | ACK, seq: CISN + 1, ack: SISN + 1, t: 1 },
    { from: 's', flags: ACK, seq: SISN + 1, ack: CISN + 2, t: 1.001 },
    { from: 's', flags: FIN | ACK, seq: SISN + 1, ack: CISN + 2, t: 1.002 },
    { from: 'c', flags: ACK, seq: CISN + 2, ack: SISN + 2, t: 1.003 },
  ]);
  const [c] = records;
  t.is(c!.client_state, 'TIME_WAIT');
  t.is(c!.server_state, 'CLOSED');
  t.is(c!.opening, 'handshake');
  t.is(c!.closing, 'fin');
  t.is(c!.active_closer, 'client');
  t.deepEqual(
    c!.transitions.filter((x) => x.side === 'client').map((x) => x.to),
    ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT'],
  );
  t.deepEqual(
    c!.transitions.filter((x) => x.side === 'server').map((x) => x.to),
    ['SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED'],
  );
  t.is(c!.conn_state, 'SF');
});

test('a bare ACK one past all its sender sent: a FIN lost before the capture; answering the peer\'s first FIN, it crossed it', (t) => {
  // Near the server: the client's FIN is lost on the way; the server's FIN finds the client in FIN_WAIT1, whose ACK of it
  // already counts the FIN; the client sends its FIN again and both end in TIME_WAIT.
  const crossed = [
    ...handshake(),
    { from: 'c', flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, len: 22, t: 0.1 },
    { from: 's', flags: ACK | PSH, seq: SISN + 1, ack: CISN + 23, len: 3, t: 0.101 },
    { from: 'c', flags: ACK, seq: CISN + 23, ack: SISN + 4, t: 0.12 },
    { from: 's', flags: FIN | ACK, seq: SISN + 4, ack: CISN + 23, t: 0.5 },
    { from: 'c', flags: ACK, seq: CISN + 24, ack: SISN + 5, t: 0.52 },
  ] satisfies Seg[];
  const open = run(crossed).records[0]!;
  t.is(open.client_state, 'CLOSING');
  t.is(open.server_state, 'FIN_WAIT2');
  const fin = open.transitions.find((x) => x.side === 'client' && x.to === 'FIN_WAIT1')!;
  t.is(fin.cause, 'sent FIN: uncaptured, a later segment past it');
  t.true(fin.inferred);
  t.is(open.missed_segments, 0, 'lost on the way, not by the capture: nothing acknowledged it');
  const r = run([
    ...crossed,
    { from: 'c', flags: FIN | ACK, seq: CISN + 23, ack: SISN + 5, t: 0.8 },
    { from: 's', flags: ACK, seq: SISN + 5, ack: CISN + 24, t: 0.8001 },
  ]).records[0]!;
  t.is(r.client_state, 'TIME_WAIT');
  t.is(r.server_state, 'TIME_WAIT');
  t.is(r.active_closer, 'both');
  t.truthy(r.anomalies.find((a) => a.code === 'retransmissions' && a.side === 'client'), 'the FIN seen is the second');
});

test('a bare ACK past an unseen FIN, then that FIN with an earlier timestamp: overtaken, and its ACK of the peer\'s FIN orders the close', (t) => {
  // Reordered on the way: the client closed after the server's FIN reached it (its FIN acknowledges that FIN), then
  // acknowledged something more; the ACK overtook the FIN. A passive close: LAST_ACK, then CLOSED.
  const overtaken = [
    ...handshake(),
    { from: 'c', flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, len: 11, t: 0.1, tsval: 100 },
    { from: 's', flags: ACK | PSH, seq: SISN + 1, ack: CISN + 12, len: 4, t: 0.101, tsval: 500 },
    { from: 's', flags: FIN | ACK, seq: SISN + 5, ack: CISN + 12, t: 0.102, tsval: 500 },
    { from: 'c', flags: ACK, seq: CISN + 13, ack: SISN + 6, t: 0.137, tsval: 136 },
    { from: 'c', flags: FIN | ACK, seq: CISN + 12, ack: SISN + 6, t: 0.138, tsval: 135 },
    { from: 's', flags: ACK, seq: SISN + 6, ack: CISN + 13, t: 0.1381, tsval: 536 },
  ] satisfies Seg[];
  const r = run(overtaken).records[0]!;
  t.is(r.client_state, 'CLOSED');
  t.is(r.server_state, 'TIME_WAIT');
  t.is(r.active_closer, 'server');
  t.falsy(r.anomalies.find((a) => a.code === 'retransmissions' && a.side === 'client'), 'the FIN was sent once');
  t.is(r.transitions.find((x) => x.side === 'client' && x.to === 'LAST_ACK')!.cause, "sent FIN: overtaken, after the peer's FIN arrived");
  // A later timestamp: the FIN sent again after the crossing, as before.
  const again = run(overtaken.map((x, i) => (i === overtaken.length - 2 ? { ...x, t: 0.4, tsval: 400 } : i === overtaken.length - 1 ? { ...x, t: 0.4001 } : x))).records[0]!;
  t.is(again.client_state, 'TIME_WAIT');
  t.is(again.server_state, 'TIME_WAIT');
});

test('a bare ACK past an unseen FIN that answers the peer\'s repeated FIN: the usual order, the peer\'s FIN first, then LAST_ACK', (t) => {
  const r = run([
    ...handshake(),
    { from: 'c', flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, len: 11, t: 0.1 },
    { from: 's', flags: ACK | PSH, seq: SISN + 1, ack: CISN + 12, len: 4, t: 0.101 },
    { from: 's', flags: FIN | ACK, seq: SISN + 5, ack: CISN + 12, t: 0.3 },
    { from: 's', flags: FIN | ACK, seq: SISN + 5, ack: CISN + 12, t: 0.8 },
    { from: 'c', flags: ACK, seq: CISN + 13, ack: SISN + 6, t: 0.81 },
    { from: 'c', flags: FIN | ACK, seq: CISN + 12, ack: SISN + 6, t: 1.4 },
    { from: 's', flags: ACK, seq: SISN + 6, ack: CISN + 13, t: 1.4001 },
  ]).records[0]!;
  t.is(r.client_state, 'CLOSED');
  t.is(r.server_state, 'TIME_WAIT');
  t.deepEqual(r.transitions.filter((x) => x.side === 'client').map((x) => x.to), ['SYN_SENT', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  // The repeat the capture missed too: an ACK half a second after the only FIN seen answers a later one all the same.
  const late = run([
    ...handshake(),
    { from: 'c', flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, len: 11, t: 0.1 },
    { from: 's', flags: ACK | PSH, seq: SISN + 1, ack: CISN + 12, len: 4, t: 0.101 },
    { from: 's', flags: FIN | ACK, seq: SISN + 5, ack: CISN + 12, t: 0.3 },
    { from: 'c', flags: ACK, seq: CISN + 13, ack: SISN + 6, t: 0.81 },
    { from: 'c', flags: FIN | ACK, seq: CISN + 12, ack: SISN + 6, t: 1.4 },
    { from: 's', flags: ACK, seq: SISN + 6, ack: CISN + 13, t: 1.4001 },
  ]).records[0]!;
  t.is(late.client_state, 'CLOSED');
  t.is(late.server_state, 'TIME_WAIT');
});

test('a bare ACK past an unseen FIN, then data past it: the unseen segment was a byte of data', (t) => {
  const r = run([
    ...handshake(),
    { from: 'c', flags: ACK, seq: CISN + 2, ack: SISN + 1, t: 0.1 },
    { from: 'c', flags: ACK | PSH, seq: CISN + 2, ack: SISN + 1, len: 10, t: 0.2 },
    { from: 's', flags: ACK, seq: SISN + 1, ack: CISN + 12, t: 0.21 },
  ]).records[0]!;
  t.is(r.client_state, 'ESTABLISHED');
  t.is(r.server_state, 'ESTABLISHED');
});

test('an RST at the sequence number the receiver last acknowledged is exact for it, though the sender had sent more', (t) => {
  // The server's 3 bytes never reached the client, whose ACKs stay at SISN + 1. The server aborts (the client answers
  // that RST, not exact for it, with a challenge ACK the capture lost); much later the client closes, and the server,
  // closed, answers its FIN with an RST at the FIN's acknowledgement number: exact, the client is gone.
  const r = run([
    ...handshake(),
    { from: 'c', flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, len: 7, t: 0.1 },
    { from: 's', flags: ACK, seq: SISN + 1, ack: CISN + 8, t: 0.101 },
    { from: 's', flags: ACK | PSH, seq: SISN + 1, ack: CISN + 8, len: 3, t: 0.102 },
    { from: 's', flags: RST | ACK, seq: SISN + 4, ack: CISN + 8, t: 0.2 },
    { from: 'c', flags: FIN | ACK, seq: CISN + 8, ack: SISN + 1, t: 15 },
    { from: 's', flags: RST, seq: SISN + 1, t: 15.0001 },
  ]).records[0]!;
  t.is(r.client_state, 'CLOSED');
  t.is(r.server_state, 'CLOSED');
  t.is(r.transitions.at(-1)!.cause, 'received RST');
  t.is(r.transitions.at(-1)!.side, 'client');
});

test('FIN_WAIT1 receiving a FIN that acks ours goes to TIME_WAIT', (t) => {
  const { records } = run([
    ...handshake(),
    { from: 'c', flags: FIN | ACK, seq: CISN + 1, ack: SISN + 1, t: 1 },
    { from: 's', flags: FIN | ACK, seq: SISN + 1, ack: CISN + 2, t: 1.001 },
    { from: 'c', flags: ACK, seq: CISN + 2, ack: SISN + 2, t: 1.002 },
  ]);
  t.is(records[0]!.client_state, 'TIME_WAIT');
  t.is(records[0]!.server_state, 'CLOSED');
});

test('crossing FINs are a simultaneous close: both sides end in TIME_WAIT, the closer is both', (t) => {
  const { records } = run([
    ...handshake(),
    { from: 'c', flags: FIN | ACK, seq: CISN + 1, ack: SISN + 1, t: 1 },
    { from: 's', flags: FIN | ACK, seq: SISN + 1, ack: CISN + 1, t: 1 },
    { from: 'c', flags: ACK, seq: CISN + 2, ack: SISN + 2, t: 1.001 },
    { from: 's', flags: ACK, seq: SISN + 2, ack: CISN + 2, t: 1.001 },
  ]);
  t.is(records[0]!.client_state, 'TIME_WAIT');
  t.is(records[0]!.server_state, 'TIME_WAIT');
  t.is(records[0]!.active_closer, 'both');
  t.true(records[0]!.transitions.some((x) => x.to === 'CLOSING'));
});

test('a server that acks the FIN and never sends its own stays in CLOSE_WAIT and is flagged stuck', (t) => {
  const { records } = run([
    ...handshake(),
    { from: 'c', flags: FIN | ACK, seq: CISN + 1, ack: SISN + 1, t: 1 },
    { from: 's', flags: ACK, seq: SISN + 1, ack: CISN + 2, t: 1.001 },
    { from: 'c', flags: ACK, seq: CISN + 2, ack: SISN + 1, t: 30 },
  ]);
  const c = records[0]!;
  t.is(c.client_state, 'FIN_WAIT2');
  t.is(c.server_state, 'CLOSE_WAIT');
  t.truthy(c.anomalies.find((a) => a.code === 'close_wait_stuck' && a.side === 'server'));
  t.truthy(c.anomalies.find((a) => a.code === 'fin_wait2_stuck' && a.side === 'client'));
});

test('an RST outside the receiver window is ignored; one in the window aborts', (t) => {
  const { records } = run([
    ...handshake(),
    { from: 's', flags: RST, seq: SISN + 1 + 5_000_000, t: 1 },
    { from: 's', flags: RST, seq: SISN + 1, t: 2 },
  ]);
  const c = records[0]!;
  t.is(c.closing, 'rst');
  t.is(c.client_state, 'CLOSED');
  t.is(c.transitions.find((x) => x.cause === 'received RST')!.ts, 1002);
  t.truthy(c.anomalies.find((a) => a.code === 'reset' && a.side === 'server'));
});

test('a SYN answered by RST is a rejected opening', (t) => {
  const { records } = run([
    { from: 'c', flags: SYN, seq: CISN, t: 0 },
    { from: 's', flags: RST | ACK, seq: 0, ack: CISN + 1, t: 0.001 },
  ]);
  t.is(records[0]!.opening, 'rejected');
  t.is(records[0]!.conn_state, 'REJ');
  t.truthy(records[0]!.anomalies.find((a) => a.code === 'syn_rejected'));
});

test('a retransmitted SYN is one lifecycle; a SYN with a new ISN after the close is a second one', (t) => {
  const { records } = run([
    { from: 'c', flags: SYN, seq: CISN, t: 0 },
    { from: 'c', flags: SYN, seq: CISN, t: 1 },
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 1.001 },
    { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, t: 1.002 },
    { from: 'c', flags: FIN | ACK, seq: CISN + 1, ack: SISN + 1, t: 2 },
    { from: 's', flags: FIN | ACK, seq: SISN + 1, ack: CISN + 2, t: 2.001 },
    { from: 'c', flags: ACK, seq: CISN + 2, ack: SISN + 2, t: 2.002 },
    { from: 'c', flags: SYN, seq: CISN + 99999, t: 5 },
  ]);
  t.is(records.length, 2);
  const [first, second] = [...records].sort((a, b) => a.first_ts - b.first_ts);
  t.truthy(first!.anomalies.find((a) => a.code === 'retransmissions' && a.count === 1));
  t.truthy(second!.anomalies.find((a) => a.code === 'time_wait_reuse'));
  t.is(first!.client_state, 'CLOSED');
});

test('a keepalive probe is not counted as a retransmission', (t) => {
  const { records } = run([
    ...handshake(),
    { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, len: 10, t: 0.1 },
    { from: 'c', flags: ACK, seq: CISN + 10, ack: SISN + 1, len: 1, t: 10 },
    { from: 'c', flags: ACK, seq: CISN + 10, ack: SISN + 1, len: 0, t: 20 },
  ]);
  t.falsy(records[0]!.anomalies.find((a) => a.code === 'retransmissions'));
});

test('TIME_WAIT ages out after --time-wait seconds of capture time, marked as inferred', (t) => {
  const { records } = run(
    [
      ...handshake(),
      { from: 'c', flags: FIN | ACK, seq: CISN + 1, ack: SISN + 1, t: 1 },
      { from: 's', flags: FIN | ACK, seq: SISN + 1, ack: CISN + 2, t: 1.001 },
      { from: 'c', flags: ACK, seq: CISN + 2, ack: SISN + 2, t: 1.002 },
      { from: 'c', flags: SYN, seq: 1, t: 100, port: 40001 },
    ],
    { timeWait: 60 },
  );
  const first = records.find((r) => r.client.endsWith(':40000'))!;
  t.is(first.client_state, 'CLOSED');
  const expiry = first.transitions.at(-1)!;
  t.is(expiry.cause, 'TIME_WAIT expired');
  t.true(expiry.inferred);
});

test('a last ACK lost before the LAST_ACK side: its FIN retransmission puts it back in LAST_ACK', (t) => {
  const { records } = run([
    ...handshake(),
    { from: 'c', flags: FIN | ACK, seq: CISN + 1, ack: SISN + 1, t: 1 },
    { from: 's', flags: ACK, seq: SISN + 1, ack: CISN + 2, t: 1.001 },
    { from: 's', flags: FIN | ACK, seq: SISN + 1, ack: CISN + 2, t: 3 },
    { from: 'c', flags: ACK, seq: CISN + 2, ack: SISN + 2, t: 3.001 },
    { from: 's', flags: FIN | ACK, seq: SISN + 1, ack: CISN + 2, t: 3.3 },
    { from: 'c', flags: ACK, seq: CISN + 2, ack: SISN + 2, t: 3.301 },
    { from: 's', flags: FIN | ACK, seq: SISN + 1, ack: CISN + 2, t: 3.9 },
  ]);
  t.is(records[0]!.server_state, 'LAST_ACK');
  t.is(records[0]!.client_state, 'TIME_WAIT');
});

test('thousands of sequential connections keep the live table small: records leave as TIME_WAIT ages out', (t) => {
  const segments: Seg[] = [];
  for (let i = 0; i < 3000; i++) {
    const port = 20000 + i;
    const t0 = i * 0.5;
    segments.push(
      { from: 'c', flags: SYN, seq: CISN, t: t0, port },
      { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: t0 + 0.001, port },
      { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, t: t0 + 0.002, port },
      { from: 'c', flags: FIN | ACK, seq: CISN + 1, ack: SISN + 1, t: t0 + 0.003, port },
      { from: 's', flags: FIN | ACK, seq: SISN + 1, ack: CISN + 2, t: t0 + 0.004, port },
      { from: 'c', flags: ACK, seq: CISN + 2, ack: SISN + 2, t: t0 + 0.005, port },
    );
  }
  let peak = 0;
  const records: ConnectionRecord[] = [];
  const tracker = new FlowTracker({ stuckAfter: 10, timeWait: 60, maxLive: 100_000, keepSegments: 0 }, (summary, log) => records.push(toConnectionRecord(summary, log)));
  feed(tracker, segments, () => (peak = Math.max(peak, tracker.live)));
  t.true(peak <= 125, `peak live ${peak}: 60 s of TIME_WAIT at 2 connections per second`);
  t.true(tracker.emitted > 2800, 'records left while the capture was read');
  tracker.finish();
  t.is(records.length, 3000);
});

test('IPv6 endpoints are written in RFC 5952 short form', (t) => {
  t.is(formatIpv6([0x20010db8, 0, 0, 1]), '2001:db8::1');
  t.is(formatIpv6([0, 0, 0, 1]), '::1');
  t.is(formatIpv6([0x20010db8, 0x00000001, 0x00000000, 0x00010001]), '2001:db8:0:1::1:1');
  t.is(formatIpv6([0x20010000, 0, 0x00010000, 0]), '2001::1:0:0:0');
  t.is(formatIpv6([0, 0, 0xffff, 0xc0000201]), '::ffff:192.0.2.1');
});

test('beyond --max-live the connection idle longest goes out early, not an older one still talking', (t) => {
  const { records, tracker } = run(
    [
      ...handshake(0, 40001), // talks all along
      ...handshake(1, 40002), // goes quiet
      { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, len: 10, t: 2, port: 40001 },
      ...handshake(3, 40003), // the third live connection: one must go
      { from: 'c', flags: ACK, seq: CISN + 11, ack: SISN + 1, len: 10, t: 4, port: 40001 },
    ],
    { maxLive: 2 },
  );
  t.is(tracker.evicted, 1);
  const byPort = (port: number) => records.filter((r) => r.client.endsWith(`:${port}`));
  t.is(byPort(40002).length, 1);
  t.true(byPort(40002)[0]!.open_at_end, 'reported early, as still open');
  t.is(byPort(40001).length, 1, 'the talking connection stayed one lifecycle');
  t.is(byPort(40001)[0]!.packets, 5);
});

test('beyond --max-live a connection already over (waiting out TIME_WAIT) goes before any open one', (t) => {
  const { records, tracker } = run(
    [
      ...handshake(0, 40001), // open and idle from t=0
      ...handshake(1, 40002),
      { from: 'c', flags: FIN | ACK, seq: CISN + 1, ack: SISN + 1, t: 2, port: 40002 },
      { from: 's', flags: FIN | ACK, seq: SISN + 1, ack: CISN + 2, t: 2.001, port: 40002 },
      { from: 'c', flags: ACK, seq: CISN + 2, ack: SISN + 2, t: 2.002, port: 40002 }, // over: client in TIME_WAIT
      ...handshake(3, 40003),
    ],
    { maxLive: 2 },
  );
  t.is(tracker.evicted, 1);
  const closed = records.find((r) => r.client.endsWith(':40002'))!;
  t.is(closed.client_state, 'TIME_WAIT');
  t.false(closed.open_at_end);
  t.is(records.find((r) => r.client.endsWith(':40001'))!.packets, 3, 'the idle open connection was kept whole');
  t.is(records.indexOf(closed), 0, 'and the closed one went out first');
});

test('a SYN-ACK moves its receiver to ESTABLISHED as inferred until the receiver acknowledges it', (t) => {
  const answered = run([...handshake()]).records[0]!;
  t.falsy(answered.transitions.find((x) => x.side === 'client' && x.to === 'ESTABLISHED')!.inferred, 'the client\'s ACK proves it');
  const silent = run([
    { from: 'c', flags: SYN, seq: CISN, t: 0 },
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 0.001 },
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 1.001 },
  ]).records[0]!;
  t.is(silent.client_state, 'ESTABLISHED');
  t.true(silent.transitions.find((x) => x.side === 'client' && x.to === 'ESTABLISHED')!.inferred, 'never acknowledged: a spoofed source, or ACKs lost before the capture');
  t.truthy(silent.anomalies.find((a) => a.code === 'half_open' && !a.ack_dropped));
});

test('a SYN-ACK sent again after the handshake ACK puts the listener back in SYN_RECV until it sends anything else', (t) => {
  const overflow = [
    ...handshake(),
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 1 }, // the ACK was not taken: accept queue full
    { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, t: 1.001 },
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 3 },
    { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, t: 3.001 },
  ] satisfies Seg[];
  const stuck = run(overflow).records[0]!;
  t.is(stuck.client_state, 'ESTABLISHED');
  t.is(stuck.server_state, 'SYN_RECV', 'ACKs after a proven drop prove nothing');
  const back = stuck.transitions.find((x) => x.side === 'server' && x.cause === 'retransmitted SYN-ACK: handshake ACK lost or dropped')!;
  t.is(back.to, 'SYN_RECV');
  t.true(back.inferred);
  const a = stuck.anomalies.find((x) => x.code === 'half_open')!;
  t.true(a.ack_dropped);
  t.is(a.since, 1001);
  t.regex(a.detail, /2 more time/);
  const accepted = run([...overflow, { from: 's', flags: ACK | PSH, seq: SISN + 1, ack: CISN + 1, len: 5, t: 4 }]).records[0]!;
  t.is(accepted.server_state, 'ESTABLISHED', 'the server sending data has a full socket');
  t.is(accepted.anomalies.find((x) => x.code === 'half_open')!.duration, 3, 'SYN_RECV from the first drop until then');
});

test('a SYN-ACK answering the client\'s repeated SYN proves no dropped handshake ACK', (t) => {
  // The first SYN-ACK was lost past the capture: the server's timer sends it again as the client's timer sends its SYN
  // again; they cross. The client acknowledges the SYN-ACK, and the server answers the repeated SYN with one more
  // SYN-ACK, sent before that ACK reached it (a router's port near the server saw it so).
  const crossed = [
    { from: 'c', flags: SYN, seq: CISN, t: 0 },
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 0.00002 },
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 1.02577 },
    { from: 'c', flags: SYN, seq: CISN, t: 1.0258 },
    { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, t: 1.025842 },
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 1.025843 },
    { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, t: 1.025878 },
    { from: 'c', flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, len: 9, t: 1.025956 },
    { from: 's', flags: ACK, seq: SISN + 1, ack: CISN + 10, t: 1.025966 },
  ] satisfies Seg[];
  const r = run(crossed, { stuckAfter: 2 }).records[0]!;
  t.is(r.client_state, 'ESTABLISHED');
  t.is(r.server_state, 'ESTABLISHED');
  t.falsy(r.anomalies.find((a) => a.code === 'half_open'), 'the server took the ACK: it acknowledges the data after it');
  t.falsy(r.transitions.find((x) => x.cause === 'retransmitted SYN-ACK: handshake ACK lost or dropped'));
  // Its own timer's SYN-ACK after that ACK still shows a drop.
  const dropped = run([...crossed.slice(0, 7), { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 3 }], { stuckAfter: 2 }).records[0]!;
  t.is(dropped.server_state, 'SYN_RECV');
  t.true(dropped.anomalies.find((a) => a.code === 'half_open')!.ack_dropped);
});

test('an unanswered SYN is flagged once it waited --stuck-after or was retransmitted, not when the capture just ends', (t) => {
  const justEnded = run([{ from: 'c', flags: SYN, seq: CISN, t: 0 }, { from: 'c', flags: ACK, seq: 1, t: 0.5, port: 40001 }]).records;
  t.falsy(justEnded.find((r) => r.client.endsWith(':40000'))!.anomalies.find((a) => a.code === 'syn_unanswered'));
  const retransmitted = run([{ from: 'c', flags: SYN, seq: CISN, t: 0 }, { from: 'c', flags: SYN, seq: CISN, t: 1 }]).records[0]!;
  t.truthy(retransmitted.anomalies.find((a) => a.code === 'syn_unanswered'));
  const waited = run([{ from: 'c', flags: SYN, seq: CISN, t: 0 }, { from: 'c', flags: ACK, seq: 1, t: 12, port: 40001 }], { stuckAfter: 10 }).records;
  t.truthy(waited.find((r) => r.client.endsWith(':40000'))!.anomalies.find((a) => a.code === 'syn_unanswered'));
});

test('a SYN-ACK the capture missed, acknowledged by the client: a completed handshake, the SYN-ACK inferred', (t) => {
  const r = run([
    { from: 'c', flags: SYN, seq: CISN, t: 0 },
    { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, t: 0.001 },
    { from: 'c', flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, len: 10, t: 20 },
  ]).records[0]!;
  t.is(r.client_state, 'ESTABLISHED');
  t.is(r.server_state, 'ESTABLISHED');
  t.is(r.opening, 'handshake');
  t.is(r.missed_segments, 1);
  const synAck = r.transitions.find((x) => x.side === 'server' && x.to === 'SYN_RECV')!;
  t.is(synAck.cause, 'sent SYN-ACK: uncaptured, acknowledged by the peer');
  t.true(synAck.inferred);
  const client = r.transitions.find((x) => x.side === 'client' && x.to === 'ESTABLISHED')!;
  t.is(client.cause, 'received SYN-ACK: uncaptured, acknowledged');
  t.falsy(client.inferred, 'the client\'s own ACK proves it');
  t.falsy(r.anomalies.find((a) => a.code === 'syn_unanswered'));
});

test('bytes acknowledged but never seen are missed_bytes; a side never seen makes a one-sided connection whose waits are not judged', (t) => {
  // Only the server's packets were captured: it acknowledges 50 bytes and a FIN it never was seen receiving, then closes.
  const r = run(
    [
      { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 0 },
      { from: 's', flags: ACK, seq: SISN + 1, ack: CISN + 51, t: 0.1 },
      { from: 's', flags: FIN | ACK, seq: SISN + 1, ack: CISN + 52, t: 0.2 },
    ],
    { stuckAfter: 0 },
  ).records[0]!;
  t.is(r.client_packets, 0);
  t.is(r.missed_bytes, 50, 'the 51st sequence number is the client\'s FIN, acknowledged by the server\'s own FIN');
  t.true(r.transitions.find((x) => x.side === 'client' && x.to === 'FIN_WAIT1')!.inferred);
  t.deepEqual(r.anomalies, [], 'no FIN_WAIT1 stuck, no half-open: the peer that would answer is not in the capture');
  const gapTooWide = run([...handshake(), { from: 's', flags: ACK, seq: SISN + 1, ack: CISN + 1 + 5_000_000, t: 1 }]).records[0]!;
  t.is(gapTooWide.missed_bytes, 0, 'an acknowledgement beyond the receive window is not believed');
});

test('a simultaneous open: crossing SYNs, each side SYN_RECV once its SYN-ACK proves the peer\'s SYN arrived, then ESTABLISHED', (t) => {
  const r = run([
    { from: 'c', flags: SYN, seq: CISN, t: 0 },
    { from: 's', flags: SYN, seq: SISN, t: 0 },
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 0.001 },
    { from: 'c', flags: SYN | ACK, seq: CISN, ack: SISN + 1, t: 0.001 },
    { from: 's', flags: ACK, seq: SISN + 1, ack: CISN + 1, t: 0.002 },
    { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, t: 0.002 },
  ]).records[0]!;
  t.is(r.opening, 'handshake');
  t.is(r.client_state, 'ESTABLISHED');
  t.is(r.server_state, 'ESTABLISHED');
  t.deepEqual(r.transitions.filter((x) => x.side === 'server').map((x) => x.to), ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED']);
  t.falsy(r.anomalies.find((a) => a.code === 'retransmissions'), 'a SYN-ACK with the ISN of the side\'s own SYN is no retransmission');
  t.falsy(r.anomalies.find((a) => a.code === 'half_open'));
});
