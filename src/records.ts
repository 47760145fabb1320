/**
 * The records the tool emits, as fixed by the outside contract (CONTRACT.md)
 * plus the project's own extra fields. Reporters, the checker and the library
 * API all speak these types.
 */
import type { AnalysisCounts } from './expert/tcp-analysis.js';
import type { WiresharkFilter } from './expert/wireshark-filter.js';
import type { AnomalyCode, FindingCode, Severity } from './rules/codes.js';
import type { TcpState } from './state/states.js';
import type { CaptureVantage, Vantage } from './state/vantage.js';

export type { AnomalyCode, CaptureVantage, FindingCode, Severity, Vantage };

export type Side = 'client' | 'server';
export type Opening = 'handshake' | 'syn_only' | 'syn_synack' | 'rejected' | 'midstream';
export type Closing = 'fin' | 'half' | 'rst' | 'none';
export type ActiveCloser = 'client' | 'server' | 'both' | null;


export interface Transition {
  ts: number;
  side: Side;
  from: TcpState;
  to: TcpState;
  cause: string;
  /** 1-based frame number of the segment that caused it (absent for timer-driven changes). */
  frame?: number;
  /** True when the change is inferred rather than seen (e.g. the peer's ACK never appeared). */
  inferred?: boolean;
}

export interface Anomaly {
  code: AnomalyCode;
  side: Side;
  /** When the condition began (epoch seconds). */
  since: number;
  /** How long it lasted up to the end of the lifecycle or capture, in seconds. */
  duration: number;
  detail: string;
  /** Frame where the condition began. */
  frame?: number;
  /** Count for countable anomalies (retransmissions). */
  count?: number;
  /**
   * half_open only: the client's handshake ACK was on the wire and the server
   * sent its SYN-ACK again after it, so it did not take the ACK: its accept
   * queue was full (or the ACK was lost before it).
   */
  ack_dropped?: boolean;
}

/**
 * One connection lifecycle. Fields in output order: its facts, then its
 * anomalies, then (with `keepSegments`) its first segments, and its
 * transitions last.
 */
export interface ConnectionSummary {
  type: 'connection';
  id: string;
  client: string;
  server: string;
  first_ts: number;
  last_ts: number;
  /** last_ts - first_ts, in seconds (Zeek's duration). */
  duration: number;
  /** Seconds from the SYN (the last one, when it was sent again) to the ACK that completed the handshake, as seen at the capture point; null without a completed handshake. */
  handshake_rtt: number | null;
  /** 1-based frame numbers of the first and last packet in the run (several files are numbered on). */
  first_frame: number;
  last_frame: number;
  packets: number;
  /** Packets and payload bytes sent by each side, as captured. */
  client_packets: number;
  server_packets: number;
  client_bytes: number;
  server_bytes: number;
  /**
   * Payload bytes each side sent by sequence numbers, as Zeek's orig_bytes
   * and resp_bytes: a retransmitted byte counts once, a byte the capture
   * missed counts too.
   */
  orig_bytes: number;
  resp_bytes: number;
  /**
   * Bytes one side acknowledged that the capture never saw the other send
   * (Zeek's missed_bytes): packets lost by the capture, or a direction not
   * captured at all. With a side's packet count at 0, the connection was
   * captured in one direction only.
   */
  missed_bytes: number;
  /** Segments acknowledged but never captured (at least one per gap; a SYN-ACK or FIN inferred counts one). */
  missed_segments: number;
  opening: Opening;
  closing: Closing;
  active_closer: ActiveCloser;
  client_state: TcpState;
  server_state: TcpState;
  /** Zeek's conn_state and history, by Zeek's published rules. */
  conn_state: string;
  history: string;
  /** How the client was chosen: `syn` (sent the first SYN) or a mid-stream rule name. */
  client_rule: string;
  /** MSS each side announced in its SYN; null when its SYN was not seen or carried none. */
  client_mss: number | null;
  server_mss: number | null;
  /** Window scale shift of each side when window scaling is in use (both SYNs carried the option); else null. */
  client_wscale: number | null;
  server_wscale: number | null;
  /** SACK and timestamps negotiated: both SYNs offered them; null when a SYN went unseen. */
  sack: boolean | null;
  timestamps: boolean | null;
  /** Per side, the TCP events Wireshark's Expert Info shows, counted as tshark's `tcp.analysis.*` flags. */
  client_analysis: AnalysisCounts;
  server_analysis: AnalysisCounts;
  /** Where the capture point sat for this connection, from its handshake's timing and TTLs (see README "How states are inferred"). */
  vantage: Vantage;
  /** Capture file of the lifecycle's first packet, and that packet's frame number within the file. */
  file?: string | undefined;
  first_frame_in_file: number;
  /** Capture file of its last packet, only when it is another than `file` (a rotation); and the frame number there. */
  last_file?: string | undefined;
  last_frame_in_file: number;
  /** A Wireshark display filter selecting exactly this lifecycle's packets in `file` (see expert/wireshark-filter.ts): in a summary its facts, which write its text, or the text read back from NDJSON. */
  wireshark_filter: string | WiresharkFilter;
  /** True when the lifecycle was already open when the capture began: its first packet was no SYN from the client (the earlier part may be in an earlier file). */
  open_at_start: boolean;
  /** True when the lifecycle was still open at the end of the capture (the rest may be in a later file). */
  open_at_end: boolean;
  anomalies: Anomaly[];
  /** The first and last segments of the lifecycle, only when asked for (`keepSegments`), for ladder diagrams. */
  segments?: SegmentSummary[];
}

export interface ConnectionRecord extends Omit<ConnectionSummary, 'wireshark_filter'> {
  wireshark_filter: string;
  transitions: Transition[];
}

/** One segment as a ladder diagram draws it; sequence numbers relative to each side's ISN when known. */
export interface SegmentSummary {
  frame: number;
  ts: number;
  from: Side;
  /** Flags as tcpdump writes them: S, S., ., P., F., R, R. ... */
  flags: string;
  seq: number;
  ack: number;
  len: number;
  win: number;
  /** Set when the segment retransmits data, SYN or FIN already seen. */
  retransmission?: boolean;
  /** Segments of the connection left out just before this one (the middle of a long connection). */
  skipped_before?: number;
}


export interface FindingExample {
  id: string;
  first_frame: number;
  last_frame: number;
  client: string;
  server: string;
}

export interface FindingRecord {
  type: 'finding';
  code: FindingCode;
  severity: Severity;
  endpoint: string;
  count: number;
  connections: string[];
  connections_total: number;
  first_ts: number;
  last_ts: number;
  summary: string;
  advice: string[];
  examples: FindingExample[];
}

export interface SummaryRecord {
  type: 'summary';
  packets: number;
  tcp_packets: number;
  connections: number;
  states_at_end: Partial<Record<TcpState, number>>;
  findings: number;
  /** Where the capture was taken (see README "How states are inferred"), and the connections of each vantage it is judged from. */
  vantage: CaptureVantage;
  vantage_connections: Record<Vantage, number>;
  /**
   * Extra counts: non-TCP, fragments, truncated, unknown link types, duplicate copies dropped, evicted and
   * one-sided connections, and the capture's own loss: `capture_drops` (its pcapng interface statistics),
   * `missed_segments` (acknowledged but never captured, on connections seen both ways) and
   * `missed_segment_connections`.
   */
  counts: Record<string, number>;
  first_ts: number | null;
  last_ts: number | null;
  files: string[];
  /** Warnings met while reading (truncated final record, unknown link types, limits hit). */
  warnings: string[];
  /** Damage that stopped reading a file part-way (exit 3): file, byte offset, reason. */
  errors: { file: string; offset: number; reason: string }[];
}

export type OutputRecord = ConnectionRecord | FindingRecord | SummaryRecord;
