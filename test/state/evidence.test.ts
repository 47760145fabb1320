/**
 * What the peers prove counts as much as what the capture holds: segments
 * acknowledged but never captured, a side repeating itself, a side whose
 * silence outlasts its next retransmission. Grouped by the state the
 * behaviour starts from; hand-built segments, since no kernel orders these
 * on demand (the kernel-made captures check them against `ss`).
 */
import test from 'ava';
import { ACK, PSH, RST, SYN } from '../../src/decode/packet.js';
import { captureVantage } from '../../src/state/vantage.js';
import { captureRunsTo, CISN, clientAck, clientFin, connection, handshake, path, serverAck, serverFin, SISN, type Seg } from './builders.js';

/** A handshake whose timing puts the capture next to the server: the client is a millisecond away. */
const handshakeNearServer: Seg[] = [
  { from: 'c', flags: SYN, seq: CISN, t: 0 },
  { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 0.00005 },
  { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, t: 0.00105 },
];

// ESTABLISHED

test('ESTABLISHED: a FIN the capture missed, acknowledged by the peer, moves both sides as if seen, inferred with its reason', (t) => {
  const r = connection([...handshake(), serverAck(1, 0, 1), serverFin(1.1, 0, 1), clientAck(1.2, 1, 1)]);
  t.is(r.client_state, 'TIME_WAIT');
  t.is(r.server_state, 'CLOSED');
  t.is(r.active_closer, 'client');
  t.deepEqual(path(r, 'client').slice(2), ['FIN_WAIT1? (sent FIN: uncaptured, acknowledged by the peer)', 'FIN_WAIT2 (received ACK of FIN)', 'TIME_WAIT (received FIN)']);
  t.is(r.missed_bytes, 0, 'a FIN is no byte');
  t.is(r.missed_segments, 1);
});

test('ESTABLISHED: a missed FIN acknowledged by the peer\'s own FIN is a close, not a lost byte', (t) => {
  const r = connection([...handshake(), { from: 'c', flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, len: 10, t: 0.5 }, serverFin(1, 0, 11), clientAck(1.1, 11, 1)]);
  t.is(r.client_state, 'TIME_WAIT');
  t.is(r.server_state, 'CLOSED');
  t.is(r.missed_bytes, 0);
});

test('ESTABLISHED: data sent past a FIN we inferred shows the unseen sequence number was a byte: both sides go back', (t) => {
  const r = connection([...handshake(), serverAck(1, 0, 1), { from: 'c', flags: ACK | PSH, seq: CISN + 2, ack: SISN + 1, len: 10, t: 2 }, serverAck(2.1, 0, 11)]);
  t.is(r.client_state, 'ESTABLISHED');
  t.is(r.server_state, 'ESTABLISHED');
  t.is(r.missed_bytes, 1);
  t.is(r.closing, 'none');
  t.true(r.transitions.some((x) => x.cause === 'sent data after an inferred FIN: it was data'));
});

test('ESTABLISHED: data the capture missed, acknowledged, counts as missed bytes and progress', (t) => {
  const r = connection([...handshake(), serverAck(1, 0, 500), clientAck(2, 500)]);
  t.is(r.missed_bytes, 500);
  t.is(r.missed_segments, 1);
  t.is(r.client_state, 'ESTABLISHED');
});

test('ESTABLISHED: data retransmitted with backoff until the capture runs past the next interval: the kernel gave up (tcp_retries2, TCP_USER_TIMEOUT), CLOSED', (t) => {
  const data = (at: number): Seg => ({ from: 'c', flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, len: 100, t: at });
  const series = [...handshake(), data(1), data(1.2), data(1.6), data(2.4)];
  const r = connection([...series, captureRunsTo(10)]);
  t.is(r.client_state, 'CLOSED');
  t.is(r.server_state, 'ESTABLISHED', 'the peer heard nothing');
  const gaveUp = r.transitions.at(-1)!;
  t.is(gaveUp.cause, 'gave up retransmitting data');
  t.true(gaveUp.inferred);
  t.is(gaveUp.ts, 1004, 'when the next timer fired: 1.6 s after the last retransmission');
  t.is(connection([...series, captureRunsTo(3)]).client_state, 'ESTABLISHED', 'the capture ended before the next retransmission was due');
  t.is(connection([...series, serverAck(2.5, 0, 100), captureRunsTo(10)]).client_state, 'ESTABLISHED', 'acknowledged: the series ended');
});

test('ESTABLISHED: unanswered keepalive probes then an RST: the prober is CLOSED with the reason, and its RST taken', (t) => {
  const probe = (at: number): Seg => ({ from: 'c', flags: ACK, seq: CISN, ack: SISN + 1, t: at });
  const r = connection([...handshake(), probe(10), probe(11), probe(12), { from: 'c', flags: RST | ACK, seq: CISN + 1, ack: SISN + 1, t: 13 }]);
  t.is(r.client_state, 'CLOSED');
  t.deepEqual(path(r, 'client').at(-1), 'CLOSED (sent RST after unanswered keepalive probes)');
  t.is(r.server_state, 'CLOSED', 'a peer that cannot answer may still hear: the wire cannot tell, and an RST in the window is taken');
  const answered = connection([...handshake(), probe(10), serverAck(10.001), { from: 'c', flags: RST | ACK, seq: CISN + 1, ack: SISN + 1, t: 13 }]);
  t.is(path(answered, 'client').at(-1), 'CLOSED (sent RST)', 'answered probes: a plain abort');
});

test('ESTABLISHED: seen near its receiver, a FIN sent again unacknowledged had arrived: the receiver is in CLOSE_WAIT', (t) => {
  // The server's packets cross routers before the capture point, the client's do not: the capture sits near the client.
  const nearClient = handshake().map((x) => (x.from === 's' ? { ...x, ttl: 58 } : x));
  const finToClient = [...nearClient, serverFin(1), serverFin(1.3)];
  const r = connection(finToClient);
  t.is(r.client_state, 'CLOSE_WAIT');
  t.deepEqual(path(r, 'client').at(-1), 'CLOSE_WAIT? (received FIN: seen near it, its ACK lost)');
  t.is(connection([...handshake(), serverFin(1), serverFin(1.3)]).client_state, 'ESTABLISHED', 'near both ends nothing is proved: a host firewall may drop what the capture saw');
});

// SYN_SENT

test('SYN_SENT: a SYN sent again after a SYN-ACK passed proves that SYN-ACK never arrived: the client stays SYN_SENT', (t) => {
  const lost: Seg[] = [
    { from: 'c', flags: SYN, seq: CISN, t: 0 },
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 0.001 },
    { from: 'c', flags: SYN, seq: CISN, t: 1 },
  ];
  const r = connection(lost);
  t.is(r.client_state, 'SYN_SENT');
  t.deepEqual(path(r, 'client').slice(1), ['ESTABLISHED? (received SYN-ACK)', 'SYN_SENT? (retransmitted SYN: SYN-ACK not received)']);
  const later = connection([...lost, { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 1.001 }, clientAck(1.002)]);
  t.is(later.client_state, 'ESTABLISHED', 'the next SYN-ACK arrived, as the client\'s ACK proves');
});

test('SYN_SENT: a SYN-ACK the capture missed is proved by the client\'s ACK of it', (t) => {
  const r = connection([{ from: 'c', flags: SYN, seq: CISN, t: 0 }, clientAck(0.01)]);
  t.is(r.server_state, 'ESTABLISHED');
  t.is(r.opening, 'handshake');
});

test('SYN_SENT: SYNs retransmitted until tcp_syn_retries gives up: CLOSED, and still flagged unanswered', (t) => {
  const syn = (at: number): Seg => ({ from: 'c', flags: SYN, seq: CISN, t: at });
  const r = connection([syn(0), syn(1), syn(3), syn(7), captureRunsTo(40)]);
  t.is(r.client_state, 'CLOSED');
  t.is(r.transitions.at(-1)!.cause, 'gave up retransmitting SYN');
  const a = r.anomalies.find((x) => x.code === 'syn_unanswered')!;
  t.is(a.duration, 15, 'from the first SYN until the client gave up');
  t.regex(a.detail, /gave up/);
});

// SYN_RECV

test('SYN_RECV: a lost handshake ACK that recovered is a completed handshake, not half_open', (t) => {
  const recovered: Seg[] = [
    ...handshake(),
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 1 },
    clientAck(1.001),
    { from: 's', flags: ACK | PSH, seq: SISN + 1, ack: CISN + 1, len: 20, t: 1.01 },
  ];
  const r = connection(recovered);
  t.is(r.server_state, 'ESTABLISHED');
  t.falsy(r.anomalies.find((a) => a.code === 'half_open'));
  // Seen near the server (its packets carry their initial TTL, the client's crossed routers), the ACK arrived: the
  // listener did not take it.
  const nearServer = connection(recovered.map((s) => (s.from === 'c' ? { ...s, ttl: 60 } : s)));
  t.true(nearServer.anomalies.find((a) => a.code === 'half_open')!.ack_dropped);
});

test('SYN_SENT: a client that lost a SYN-ACK moves on a later one only when its ACK proves it', (t) => {
  const synAck = (at: number): Seg => ({ from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: at });
  const syn = (at: number): Seg => ({ from: 'c', flags: SYN, seq: CISN, t: at });
  t.is(connection([syn(0), synAck(0.001), syn(1), synAck(1.001)]).client_state, 'SYN_SENT');
  const r = connection([syn(0), synAck(0.001), syn(1), synAck(1.001), clientAck(1.002)]);
  t.is(r.client_state, 'ESTABLISHED');
  t.deepEqual(path(r, 'client').at(-1), 'ESTABLISHED (received SYN-ACK)');
});

test('SYN_RECV: a listener that never sends its SYN-ACK again, the ACK unseen, sent a SYN cookie: CLOSED, half_open until then', (t) => {
  const cookie: Seg[] = [{ from: 'c', flags: SYN, seq: CISN, t: 0 }, { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 0.001 }];
  const r = connection([...cookie, captureRunsTo(5)]);
  t.is(r.server_state, 'CLOSED');
  t.is(path(r, 'server').at(-1), 'CLOSED? (sent no SYN-ACK again: kept no request (SYN cookie))');
  t.is(r.anomalies.find((a) => a.code === 'half_open')!.duration, 1);
  t.is(connection([...cookie, captureRunsTo(1.1)]).server_state, 'SYN_RECV', 'before the SYN-ACK timer ran out');
  const later = connection([...cookie, captureRunsTo(5), { from: 's', flags: ACK | PSH, seq: SISN + 1, ack: CISN + 1, len: 10, t: 6 }]);
  t.is(later.server_state, 'ESTABLISHED', 'the cookie came back in an ACK the capture missed: the server talks');
});

// FIN_WAIT1

test('FIN_WAIT1: FINs retransmitted until tcp_orphan_retries gives up: CLOSED, and the wait until then is stuck', (t) => {
  const series = [...handshake(), clientFin(1), clientFin(1.2), clientFin(1.6), clientFin(2.4)];
  const r = connection([...series, captureRunsTo(10)], { stuckAfter: 2 });
  t.is(r.client_state, 'CLOSED');
  t.is(r.server_state, 'ESTABLISHED');
  t.is(r.transitions.at(-1)!.cause, 'gave up retransmitting FIN');
  t.is(r.anomalies.find((a) => a.code === 'fin_wait1_stuck')!.duration, 3, 'FIN_WAIT1 from 1 s until the give-up at 4 s');
  t.is(connection([...series, captureRunsTo(3)]).client_state, 'FIN_WAIT1', 'the capture ended before the next retransmission was due');
  const late = connection([...series, serverAck(10), clientFin(12)]);
  t.is(late.client_state, 'FIN_WAIT1', 'a FIN later than the backoff predicted: the client had not given up');
  t.is(path(late, 'client').at(-1), 'FIN_WAIT1? (sent after its silence: had not closed)');
});

test('FIN_WAIT1: a FIN never sent again was acknowledged, though the capture missed the ACK', (t) => {
  const r = connection([...handshake(), clientFin(1), captureRunsTo(5)]);
  t.is(r.client_state, 'FIN_WAIT2');
  t.is(r.server_state, 'CLOSE_WAIT');
  t.deepEqual(path(r, 'server').slice(-1), ['CLOSE_WAIT? (received FIN: acknowledged, ACK uncaptured)']);
  t.is(connection([...handshake(), clientFin(1), captureRunsTo(1.5)]).client_state, 'FIN_WAIT1', 'too soon to tell');
});

// CLOSING and the FINs that cross

test('CLOSING: a FIN sent again before the peer\'s FIN-ACK could reach it proves no loss; no side ends in CLOSING', (t) => {
  const r = connection([
    ...handshakeNearServer,
    clientFin(1),
    serverFin(1.0003, 0, 1),
    clientFin(1.0012), // 0.9 ms later: the client is a millisecond from the capture point
    serverAck(1.0013, 1, 1),
    clientAck(1.0016, 1, 1),
  ]);
  t.is(r.client_state, 'TIME_WAIT');
  t.is(r.server_state, 'CLOSED');
  t.falsy(r.transitions.find((x) => x.cause === 'retransmitted FIN: final ACK lost'));
});

test('CLOSING: a side that acknowledges the peer\'s FIN took the ACK that FIN carried, even after its own FIN went out again', (t) => {
  const r = connection([...handshake(), clientFin(1), serverFin(1.001, 0, 1), clientFin(1.3), clientAck(1.301, 1, 1)]);
  t.is(r.client_state, 'TIME_WAIT');
  t.is(r.server_state, 'CLOSED');
  t.is(r.active_closer, 'client');
});

// LAST_ACK

test('LAST_ACK: one ACK proved lost, the next is taken; lost again, a later one counts once the FIN is not sent again past the next backoff interval', (t) => {
  const lostOnce = [...handshake(), clientFin(1), serverAck(1.001, 0, 1), serverFin(3, 0, 1), clientAck(3.001, 1, 1), serverFin(3.2, 0, 1), clientAck(3.201, 1, 1)];
  t.is(connection(lostOnce).server_state, 'CLOSED', 'a loss once, as on a lossy path: the ACK after it arrived');
  const lostTwice = [...lostOnce, serverFin(3.6, 0, 1), clientAck(3.601, 1, 1)];
  t.is(connection([...lostTwice, captureRunsTo(3.8)]).server_state, 'LAST_ACK', 'lost twice: the ACKs are taken to be dropped until the FIN stops');
  const r = connection([...lostTwice, captureRunsTo(10)]);
  t.is(r.server_state, 'CLOSED');
  const arrived = r.transitions.at(-1)!;
  t.is(arrived.cause, 'received ACK of FIN: FIN not sent again');
  t.is(arrived.ts, 1003.601);
  t.true(arrived.inferred);
});

test('LAST_ACK: a FIN never sent again was acknowledged: the side that acknowledged it is in TIME_WAIT', (t) => {
  const r = connection([...handshake(), clientFin(1), serverFin(1.001, 0, 1), captureRunsTo(10)]);
  t.is(r.server_state, 'CLOSED');
  t.is(r.client_state, 'TIME_WAIT');
});

// TIME_WAIT

test('TIME_WAIT: an RST at exactly the sequence it expects ends it (tcp_rfc1337 = 0); one elsewhere in the window does not', (t) => {
  const closed = [...handshake(), clientFin(1), serverFin(1.001, 0, 1), clientAck(1.002, 1, 1)];
  const exact = connection([...closed, { from: 's', flags: RST, seq: SISN + 2, t: 5 }]);
  t.is(exact.client_state, 'CLOSED');
  t.is(exact.transitions.at(-1)!.cause, 'received RST');
  const inWindow = connection([...closed, { from: 's', flags: RST, seq: SISN + 10, t: 5 }]);
  t.is(inWindow.client_state, 'TIME_WAIT');
});

// FIN_WAIT2

test('FIN_WAIT2: an orphaned FIN_WAIT2 stays FIN_WAIT2, its anomaly saying the kernel may already have reaped it', (t) => {
  const r = connection([...handshake(), clientFin(1), serverAck(1.001, 0, 1), captureRunsTo(100)]);
  t.is(r.client_state, 'FIN_WAIT2');
  t.regex(r.anomalies.find((a) => a.code === 'fin_wait2_stuck')!.detail, /may already have reaped it after tcp_fin_timeout/);
  const short = connection([...handshake(), clientFin(1), serverAck(1.001, 0, 1), captureRunsTo(30)]);
  t.regex(short.anomalies.find((a) => a.code === 'fin_wait2_stuck')!.detail, /reaps it after tcp_fin_timeout/, 'before tcp_fin_timeout\'s default, it may have been lowered');
});

// CLOSED by an RST

test('CLOSED: a side that sends after an RST in its window never took it (Linux answered with a challenge ACK)', (t) => {
  const r = connection([...handshake(), { from: 's', flags: RST, seq: SISN + 50, t: 1 }, clientAck(1.5)]);
  t.is(r.client_state, 'ESTABLISHED');
  t.deepEqual(path(r, 'client').slice(-2), ['CLOSED (received RST)', 'ESTABLISHED? (sent after an RST: did not take it)']);
});

// Vantage

test('vantage: from the handshake\'s timing, the TTLs, or unknown without either', (t) => {
  t.is(connection(handshakeNearServer).vantage, 'near_server');
  const nearClient: Seg[] = [
    { from: 'c', flags: SYN, seq: CISN, t: 0 },
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 0.02 },
    { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, t: 0.02005 },
  ];
  t.is(connection(nearClient).vantage, 'near_client');
  t.is(connection(handshake()).vantage, 'near_both', 'both within a millisecond, no router');
  t.is(connection(handshake().map((s) => ({ ...s, ttl: 60 }))).vantage, 'in_between', 'routers on both sides');
  const between: Seg[] = [
    { from: 'c', flags: SYN, seq: CISN, t: 0 },
    { from: 's', flags: SYN | ACK, seq: SISN, ack: CISN + 1, t: 0.01 },
    { from: 'c', flags: ACK, seq: CISN + 1, ack: SISN + 1, t: 0.02 },
  ];
  t.is(connection(between).vantage, 'in_between');
  t.is(connection([clientAck(0), serverAck(0.001)]).vantage, 'unknown', 'mid-stream, no router: nothing to tell');
});

test('vantage of a capture: the verdict of two thirds of the connections that have one, else mixed', (t) => {
  const none = { near_client: 0, near_server: 0, in_between: 0, near_both: 0, unknown: 0 };
  t.is(captureVantage({ ...none, near_server: 2, near_client: 1, unknown: 50 }), 'near_server');
  t.is(captureVantage({ ...none, near_server: 3, near_client: 2 }), 'mixed');
  t.is(captureVantage({ ...none, unknown: 9 }), 'unknown');
});
