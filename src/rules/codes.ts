/**
 * Every anomaly code and finding code the tool emits, defined once: records,
 * the check policy and its flags, the report and the README's tables read
 * them from here (a test holds the README to this list).
 */

/** Per-connection anomalies, as CONTRACT.md names them. */
export const ANOMALY_CODES = [
  'syn_unanswered',
  'syn_rejected',
  'half_open',
  'fin_wait1_stuck',
  'fin_wait2_stuck',
  'close_wait_stuck',
  'last_ack_stuck',
  'reset',
  'time_wait_reuse',
  'retransmissions',
  'zero_window',
] as const;
export type AnomalyCode = (typeof ANOMALY_CODES)[number];

/** Anomalies that make a connection worth drawing in a report: a wait, a failure or an abort, not mere retransmissions. */
export const SERIOUS_ANOMALIES: ReadonlySet<AnomalyCode> = new Set<AnomalyCode>([
  'syn_unanswered',
  'syn_rejected',
  'half_open',
  'fin_wait1_stuck',
  'fin_wait2_stuck',
  'close_wait_stuck',
  'last_ack_stuck',
  'reset',
  'zero_window',
]);

/** Aggregates across connections, for people on call. */
export const FINDING_CODES = [
  'close_wait_leak',
  'fin_wait2_pileup',
  'fin_wait1_pileup',
  'last_ack_pileup',
  'time_wait_storm',
  'server_closes_first',
  'syn_flood',
  'accept_queue_overflow',
  'service_unreachable',
  'reset_storm',
  'retransmission_storm',
  'zero_window_stall',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const ANOMALY_SET: ReadonlySet<string> = new Set(ANOMALY_CODES);
const FINDING_SET: ReadonlySet<string> = new Set(FINDING_CODES);
export const isAnomalyCode = (code: string): code is AnomalyCode => ANOMALY_SET.has(code);
export const isFindingCode = (code: string): code is FindingCode => FINDING_SET.has(code);
