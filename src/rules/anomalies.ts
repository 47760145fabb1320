/**
 * Per-connection anomalies: a table of rules, each judging one code on each
 * side of an ended connection, beside the findings that aggregate them
 * (findings.ts). The rules read facts, never packets: what the state machine
 * learned (`ConnectionFacts`) and when the judgement is made (`Judgement`).
 * Anomalies come out in the table's order, the client's before the server's.
 */
import type { Anomaly, AnomalyCode, Side } from '../records.js';
import { type CloseWait, isCloseWait } from '../state/states.js';
import type { TcpState } from '../state/states.js';
import { codeCause, codeFrom, codeSide, codeTo, type TransitionLogView } from '../state/transition-log.js';
import type { Vantage } from '../state/vantage.js';

/** What the rules read of one endpoint (state/endpoint.ts has the meaning of each). */
export interface SideFacts {
  readonly state: TcpState;
  readonly since: number;
  readonly sentPackets: number;
  readonly sentRst: boolean;
  readonly synRetransmits: number;
  readonly dataRetransmits: number;
  readonly finRetransmits: number;
  readonly lastNewDataTs: number;
  readonly zeroWindowFirst: number;
  readonly zeroWindowSince: number;
  readonly zeroWindowTotal: number;
  readonly zeroWindowFrame: number;
  readonly handshakeAckDrops: number;
  readonly handshakeAckDropEntry: number;
}

/** What the rules read of a connection's state machine (state/machine.ts). */
export interface MachineFacts {
  readonly client: SideFacts;
  readonly server: SideFacts;
  readonly log: TransitionLogView;
  readonly vantage: Vantage;
  readonly sawSyn: boolean;
  readonly rejected: boolean;
  readonly handshakeAcked: boolean;
  readonly rstBy: Side | null;
}

/** What the rules read of a connection: its machine, and its first and last packets. */
export interface ConnectionFacts {
  readonly machine: MachineFacts;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly firstFrame: number;
  readonly lastFrame: number;
  /** When the previous lifecycle's TIME_WAIT on this 4-tuple began, if this one took over during it (-1: it did not). */
  readonly timeWaitReuseSince: number;
}

export interface Judgement {
  /** The end of the capture, or the time the connection's record went out. */
  endTs: number;
  stuckAfter: number;
  /** Seen in one direction only: waits on the unseen side are not judged. */
  oneSided: boolean;
  /** Seconds between `since` and `until` that the capture did not see (gaps between its files): no wait is stuck for them. */
  unseen(since: number, until: number): number;
}

interface AnomalyRule {
  codes: readonly AnomalyCode[];
  /** Adds to `list` the anomalies of this code that `side` shows. */
  judge(c: ConnectionFacts, side: Side, j: Judgement, list: Anomaly[]): void;
}

/** Linux's default net.ipv4.tcp_fin_timeout: how long an orphaned FIN_WAIT2 socket lives. */
const TCP_FIN_TIMEOUT = 60;

const STUCK_CODE = {
  FIN_WAIT1: 'fin_wait1_stuck',
  FIN_WAIT2: 'fin_wait2_stuck',
  CLOSE_WAIT: 'close_wait_stuck',
  LAST_ACK: 'last_ack_stuck',
} as const satisfies Record<CloseWait, AnomalyCode>;

export const ANOMALY_RULES: readonly AnomalyRule[] = [
  {
    // An unanswered handshake is flagged once it waited --stuck-after, or once its sender's own timer
    // retransmitted: a capture that ends just after a SYN is no failure. A client that gave up waited until then.
    codes: ['syn_unanswered'],
    judge(c, side, j, list) {
      const m = c.machine;
      const client = m.client;
      if (side !== 'client' || j.oneSided || !m.sawSyn || m.rejected || m.server.sentPackets > 0) return;
      const exit = exitIndex(m.log, 'client', 'SYN_SENT', 0);
      const gaveUp = exit >= 0 && codeCause(m.log.code(exit)) === 'gave up retransmitting SYN';
      if (client.state !== 'SYN_SENT' && !gaveUp) return;
      const until = gaveUp ? m.log.ts(exit) : j.endTs;
      if (client.synRetransmits > 0 || until - c.firstTs - j.unseen(c.firstTs, until) >= j.stuckAfter) {
        addAnomaly(list, 'syn_unanswered', 'client', c.firstTs, until, `${client.synRetransmits + 1} SYN(s), no answer${gaveUp ? ': the client gave up' : ''}`, c.firstFrame);
      }
    },
  },
  {
    codes: ['syn_rejected'],
    judge(c, side, _j, list) {
      if (side === 'server' && c.machine.rejected) addAnomaly(list, 'syn_rejected', 'server', c.firstTs, c.lastTs, 'SYN answered by RST', c.lastFrame);
    },
  },
  {
    codes: ['half_open'],
    judge(c, side, j, list) {
      if (side !== 'server') return;
      const m = c.machine;
      const s = m.server;
      const log = m.log;
      if (s.handshakeAckDrops > 0) {
        const back = s.handshakeAckDropEntry;
        const left = exitIndex(log, 'server', 'SYN_RECV', back + 1);
        // One SYN-ACK sent again, answered by the client's ACK, then the server talking: the first ACK was lost on the
        // way, a completed handshake. Only a capture near the server saw that ACK arrive, and then the listener dropped it.
        if (s.handshakeAckDrops === 1 && left >= 0 && codeTo(log.code(left)) === 'ESTABLISHED' && m.vantage !== 'near_server') return;
        const a = addAnomaly(list, 'half_open', 'server', log.ts(back), left < 0 ? j.endTs : log.ts(left),
          `the client's handshake ACK was on the wire, yet the server sent its SYN-ACK ${s.handshakeAckDrops} more time(s): it did not take the ACK (accept queue full, or the ACK lost before it)`,
          log.frame(back));
        a.ack_dropped = true;
        return;
      }
      if (j.oneSided || m.handshakeAcked || m.rstBy !== null) return;
      // A listener that sent no SYN-ACK again kept no request (a SYN cookie): the ACK never came, and it waited a second.
      const exit = exitIndex(log, 'server', 'SYN_RECV', 0);
      const noRequest = exit >= 0 && codeCause(log.code(exit)) === 'sent no SYN-ACK again: kept no request (SYN cookie)';
      if (s.state !== 'SYN_RECV' && !noRequest) return;
      const since = noRequest ? log.ts(enteredIndex(log, 'server', 'SYN_RECV')) : s.since;
      if (noRequest || s.synRetransmits > 0 || j.endTs - since - j.unseen(since, j.endTs) >= j.stuckAfter) {
        addAnomaly(list, 'half_open', 'server', since, noRequest ? log.ts(exit) : j.endTs,
          noRequest ? 'SYN-ACK sent once, handshake ACK never came: no SYN-ACK again, so a SYN cookie that kept no request' : `SYN-ACK sent ${s.synRetransmits + 1} time(s), handshake ACK never came`);
      }
    },
  },
  {
    // Each wait in FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT or LAST_ACK that went stuckAfter or longer without
    // progress. In a half-close, data the CLOSE_WAIT side still sends is progress for both of its ends:
    // an answer streamed after the client's FIN is no leak.
    codes: Object.values(STUCK_CODE),
    judge(c, side, j, list) {
      // No wait can have lasted longer than the lifecycle itself: most are far shorter than stuckAfter.
      if (j.oneSided || j.endTs - c.firstTs < j.stuckAfter) return;
      const log = c.machine.log;
      const own = sideOf(c, side);
      const peer = sideOf(c, side === 'client' ? 'server' : 'client');
      for (let i = 0; i < log.length; i++) {
        const code = log.code(i);
        if (codeSide(code) !== side) continue;
        const state = codeTo(code);
        if (!isCloseWait(state)) continue;
        const exit = exitIndex(log, side, state, i + 1);
        const left = exit >= 0;
        const until = left ? log.ts(exit) : j.endTs;
        const since = log.ts(i);
        const progress = state === 'CLOSE_WAIT' ? own.lastNewDataTs : state === 'FIN_WAIT2' ? peer.lastNewDataTs : -1;
        const quietSince = progress > since ? Math.min(progress, until) : since;
        if (until - quietSince - j.unseen(quietSince, until) < j.stuckAfter) continue;
        const quiet = quietSince > since ? `, the last ${(until - quietSince).toFixed(1)} s without data` : '';
        // An orphaned FIN_WAIT2 (its application closed the socket) is reaped silently; a shutdown() half-close is not.
        const reaped = state === 'FIN_WAIT2'
          ? `; if its application closed the socket, the kernel ${until - since >= TCP_FIN_TIMEOUT ? 'may already have reaped it' : 'reaps it'} after tcp_fin_timeout (${TCP_FIN_TIMEOUT} s by default, less where lowered): the wire looks the same as a shutdown() half-close`
          : '';
        addAnomaly(list, STUCK_CODE[state], side, quietSince, until, `${state} for ${(until - since).toFixed(1)} s${quiet}${left ? '' : ' (still at end of capture)'}${reaped}`, log.frame(i) || undefined);
      }
    },
  },
  {
    codes: ['reset'],
    judge(c, side, _j, list) {
      if (c.machine.rstBy === side && sideOf(c, side).sentRst) addAnomaly(list, 'reset', side, c.lastTs, c.lastTs, `${side} aborted the connection with RST`, resetFrame(c.machine.log, side));
    },
  },
  {
    codes: ['retransmissions'],
    judge(c, side, _j, list) {
      const e = sideOf(c, side);
      const total = e.synRetransmits + e.dataRetransmits + e.finRetransmits;
      if (total > 0) {
        addAnomaly(list, 'retransmissions', side, c.firstTs, c.lastTs,
          `${total} retransmission(s): ${e.synRetransmits} SYN, ${e.dataRetransmits} data, ${e.finRetransmits} FIN`, undefined, total);
      }
    },
  },
  {
    codes: ['zero_window'],
    judge(c, side, j, list) {
      const e = sideOf(c, side);
      if (e.zeroWindowFirst < 0) return;
      const total = e.zeroWindowTotal + (e.zeroWindowSince >= 0 ? j.endTs - e.zeroWindowSince : 0);
      addAnomaly(list, 'zero_window', side, e.zeroWindowFirst, e.zeroWindowFirst + total, `advertised a zero window for ${total.toFixed(3)} s`, e.zeroWindowFrame);
    },
  },
  {
    codes: ['time_wait_reuse'],
    judge(c, side, _j, list) {
      if (side === 'client' && c.timeWaitReuseSince >= 0) {
        list.push(timeWaitReuse(c.timeWaitReuseSince, c.firstTs, c.firstFrame));
      }
    },
  },
];

/** Every anomaly the connection shows, in the table's order. */
export function judgeAnomalies(c: ConnectionFacts, j: Judgement, list: Anomaly[]): void {
  for (const rule of ANOMALY_RULES) {
    rule.judge(c, 'client', j, list);
    rule.judge(c, 'server', j, list);
  }
}

const sideOf = (c: ConnectionFacts, side: Side): SideFacts => (side === 'client' ? c.machine.client : c.machine.server);

/** The log index of `side`'s first move into `state` (-1: never). */
function enteredIndex(log: TransitionLogView, side: Side, state: TcpState): number {
  for (let j = 0; j < log.length; j++) {
    const code = log.code(j);
    if (codeSide(code) === side && codeTo(code) === state) return j;
  }
  return -1;
}

/** The log index of `side`'s first move out of `state` at or after index `from` (-1: it never left). */
function exitIndex(log: TransitionLogView, side: Side, state: TcpState, from: number): number {
  for (let j = from; j < log.length; j++) {
    const code = log.code(j);
    if (codeSide(code) === side && codeFrom(code) === state) return j;
  }
  return -1;
}

function resetFrame(log: TransitionLogView, side: Side): number | undefined {
  for (let i = 0; i < log.length; i++) {
    if (codeSide(log.code(i)) === side && codeCause(log.code(i)) === 'sent RST') return log.frame(i) || undefined;
  }
  return undefined;
}

/** The anomaly of a lifecycle whose first SYN, at `ts` in `frame`, took over a 4-tuple in TIME_WAIT since `since`. */
export function timeWaitReuse(since: number, ts: number, frame: number): Anomaly {
  const detail = 'new SYN on the 4-tuple while the previous lifecycle was in TIME_WAIT';
  // The frame in the literal, not added after: an object made whole has its fields in itself, one added later in a block of its own.
  return frame
    ? { code: 'time_wait_reuse', side: 'client', since: round6(since), duration: round6(Math.max(0, ts - since)), detail, frame }
    : { code: 'time_wait_reuse', side: 'client', since: round6(since), duration: round6(Math.max(0, ts - since)), detail };
}

function addAnomaly(list: Anomaly[], code: AnomalyCode, side: Side, since: number, until: number, detail: string, frame?: number, count?: number): Anomaly {
  const a: Anomaly = { code, side, since: round6(since), duration: round6(Math.max(0, until - since)), detail };
  if (frame) a.frame = frame;
  if (count !== undefined) a.count = count;
  list.push(a);
  return a;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
