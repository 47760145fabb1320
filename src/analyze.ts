/**
 * The pipeline, end to end: captures in, contract records out. Library users
 * get records as objects from `analyze` (async iterable) or `runPipeline`
 * (callback); the CLI's NDJSON output takes each connection from
 * `runPipelineTo` as its summary and numeric transition log and encodes it
 * straight to bytes.
 */
import { statSync, type Stats } from 'node:fs';
import { prepareInputs, type NamedInput } from './capture/inputs.js';
import { readCapture } from './capture/source.js';
import { readsAsStream } from './capture/stream-input.js';
import { CaptureError, type Frame } from './capture/frame.js';
import { Decoder } from './decode/frame-decoder.js';
import { PacketKind, PacketView } from './decode/packet.js';
import { isOneSided, toConnectionRecord } from './flow/lifecycle.js';
import { CaptureGaps } from './flow/capture-gaps.js';
import { FlowTracker, DEFAULT_STUCK_AFTER, type ConnectionSink } from './flow/tracker.js';
import { MergeCollector } from './merge/collector.js';
import { checkOptions } from './option-limits.js';
import type { ShardMergeState } from './parallel/protocol.js';
import { FindingsAggregator, type Aggregate } from './rules/findings.js';
import type { ConnectionSummary, FindingRecord, OutputRecord, SummaryRecord } from './records.js';
import type { TransitionObserver } from './state/machine.js';
import { TCP_STATES, type TcpState } from './state/states.js';
import { captureVantage, noVantages, VANTAGES, type Vantage } from './state/vantage.js';
import type { TransitionLogView } from './state/transition-log.js';

export interface AnalyzeOptions {
  /** Seconds an endpoint may wait in FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK, SYN_SENT or SYN_RECV before it is flagged stuck. */
  stuckAfter?: number;
  /** TIME_WAIT length used to age endpoints out (Linux: 60 s). */
  timeWait?: number;
  /** Most live connections held; beyond it the oldest idle ones are evicted and counted. */
  maxLive?: number;
  /** Largest capture record accepted, in bytes. */
  maxRecord?: number;
  /** Keep N segments of each connection on its record, the first half and the last (for ladder diagrams). */
  keepSegments?: number;
  /** Emit finding records (on by default). */
  findings?: boolean;
  /** Called now and then with progress (bytes read of the current input). */
  onProgress?: (progress: Progress) => void;
  /** Called between chunks of input; a returned promise pauses reading until it settles (back-pressure). */
  pause?: () => Promise<void> | undefined;
  /**
   * Once aborted, reading stops after the current chunk and the run ends as
   * if the input ended there: open connections are reported as they stood,
   * and the summary says where reading stopped (the CLI's Ctrl-C).
   */
  signal?: AbortSignal;
  /**
   * The input may be a capture still running (default: when standard input
   * or a pipe is among the inputs): a connection whose both sides are CLOSED
   * goes out half a second after its last packet instead of TIME_WAIT's
   * length later (later packets of it are counted in
   * `summary.counts.late_packets`), and while the input pauses, capture time
   * follows the wall clock, so records leave as they become final.
   */
  live?: boolean;
  /** analyze(): records made but not yet taken before reading pauses (default 4096). */
  queueLimit?: number;
  /** Told of every state change as it is made, in reading order (the report's chart follows the states with it). */
  onTransition?: TransitionObserver;
  /** Called with the time of the first packet, before anything else happens (`states --at +seconds` counts from it). */
  onFirstPacket?: (ts: number) => void;
  /** Called with every TCP packet a lifecycle took and that lifecycle's first frame (its id): `extract` writes the wanted ones. */
  onTcpPacket?: (frame: Frame, lifecycleId: number) => void;
  /** Called with every record of the inputs as it is, after its packet went through the pipeline (see CaptureReaderOptions.onRecord). */
  onRecord?: (bytes: Uint8Array, packet: boolean) => void;
}

export interface Progress {
  input: string;
  bytes: number;
  totalBytes: number | undefined;
  packets: number;
  connections: number;
}

export const DEFAULTS = {
  stuckAfter: DEFAULT_STUCK_AFTER,
  timeWait: 60,
  maxLive: 1_000_000,
  maxRecord: 256 * 1024,
} as const;

/** An input: a file path, '-' for standard input, a readable stream, or the bytes of a capture. */
export type CaptureInput = string | NodeJS.ReadableStream | Uint8Array;

/** How records and messages name an input. */
export function inputName(input: CaptureInput, index: number): string {
  if (typeof input === 'string') return input === '-' ? '<stdin>' : input;
  if (input instanceof Uint8Array) return `<buffer ${index + 1}>`;
  // A file stream (fs.createReadStream) carries its path.
  const path = (input as { path?: unknown }).path;
  return typeof path === 'string' ? path : `<stream ${index + 1}>`;
}

/** Where the pipeline's records go, each as soon as it is final: connections as their lifecycles end, then findings, then the summary. */
export interface PipelineOutput {
  /** A connection: its record but for the transitions, and the transitions as numbers (valid only during the call). */
  connection(summary: ConnectionSummary, log: TransitionLogView): void;
  finding(record: FindingRecord): void;
  summary(record: SummaryRecord): void;
  /**
   * Live input: called about every LIVE_TICK_MS while a stream is read, so
   * records buffered for output go out within about a second also while the
   * input pauses.
   */
  tick?(): void;
  /** Called just before the records of the lifecycles still open at the end are made, and just after: where they lie in the output. */
  openRecords?(edge: 'before' | 'after'): void;
  /** Given, the run gathers what `merge` needs and hands it here, after the findings and before the summary (not on live input). */
  mergeState?(state: ShardMergeState, read: ReadTally): void;
}

/** Live input: how often buffered output is pushed out, and how long a pause lets capture time follow the wall clock. */
const LIVE_TICK_MS = 250;
const LIVE_PAUSE_MS = 500;

/**
 * Runs the whole pipeline, handing each record to `emit` as an object as
 * soon as it is final. Throws CaptureError only for an unusable input
 * (nothing emitted from it); damage part-way is reported in `summary.errors`.
 */
export function runPipeline(
  inputList: CaptureInput | CaptureInput[],
  options: AnalyzeOptions,
  emit: (record: OutputRecord) => void,
): Promise<SummaryRecord> {
  return runPipelineTo(inputList, options, {
    connection: (summary, log) => emit(toConnectionRecord(summary, log)),
    finding: emit,
    summary: emit,
  });
}

/**
 * The inputs named, each once: the same file named twice (`x.pcap
 * ./x.pcap`, a hard link: the same device and inode) would count every
 * packet twice and invent retransmissions, so a repeat is left out with a
 * warning.
 */
export function distinctInputs(given: CaptureInput[]): { inputs: NamedInput[]; warnings: string[] } {
  const seen = new Map<string, string>();
  const inputs: NamedInput[] = [];
  const warnings: string[] = [];
  given.forEach((source, i) => {
    const name = inputName(source, i);
    if (typeof source === 'string' && source !== '-') {
      let stat: Stats | undefined;
      try {
        stat = statSync(source);
      } catch {
        // Reading it will say what is wrong.
      }
      const first = stat && seen.get(`${stat.dev}:${stat.ino}`);
      if (first !== undefined) return void warnings.push(`${name} is the same file as ${first}: it was read once`);
      if (stat) seen.set(`${stat.dev}:${stat.ino}`, name);
    }
    inputs.push({ source, name });
  });
  return { inputs, warnings };
}

/** The pipeline, with connections handed on in their two parts (see PipelineOutput). */
export async function runPipelineTo(
  inputList: CaptureInput | CaptureInput[],
  options: AnalyzeOptions,
  output: PipelineOutput,
): Promise<SummaryRecord> {
  checkOptions(options);
  const given = Array.isArray(inputList) ? inputList : [inputList];
  const distinct = distinctInputs(given);
  const inputs = await prepareInputs(distinct.inputs, options.signal);
  const live = isLive(given, options);
  const collector = output.mergeState && !live ? new MergeCollector(inputs.map((input) => input.name)) : undefined;
  const stage = new ConnectionStage({ ...options, live, collector }, output.connection, options.findings !== false);
  const onTcpPacket = options.onTcpPacket;
  const read = await readPackets(inputs, options, (pkt, file, _fileIndex, frame) => {
    const lifecycleId = stage.tracker.onPacket(pkt, file);
    if (onTcpPacket && lifecycleId > 0) onTcpPacket(frame, lifecycleId);
  }, {
    liveConnections: () => stage.connections + stage.tracker.live,
    onGap: (from, to) => stage.gaps.add(from, to),
    ...(live && { onPause: (ts: number) => stage.tracker.advance(ts), onTick: () => output.tick?.() }),
  });
  read.warnings.unshift(...distinct.warnings);
  output.openRecords?.('before');
  // The output drains as they are made: written all at once, they would all wait in memory.
  for (const _ of stage.tracker.finishing(read.lastTs ?? undefined)) {
    const wait = options.pause?.();
    if (wait) await wait;
  }
  output.openRecords?.('after');
  const findings = stage.findings()?.results() ?? [];
  for (const finding of findings) output.finding(finding);
  if (collector) {
    const settled = stage.settledState();
    output.mergeState!({ finalTally: settled.tally, finalFindings: settled.findings, collected: collector.state() }, read);
  }
  const summary = buildSummary(read, stage.tally(), findings.length, `${options.maxLive ?? DEFAULTS.maxLive}`);
  output.summary(summary);
  return summary;
}

/** Whether the input may be a capture still running (see AnalyzeOptions.live). */
export function isLive(given: CaptureInput[], options: AnalyzeOptions): boolean {
  return options.live ?? given.some((source) => typeof source === 'string' && readsAsStream(source));
}

/** What reading the inputs tells the summary: packet counts, time span, files, warnings and damage. */
export interface ReadTally {
  packets: number;
  tcpPackets: number;
  /** The decoder's counts by kind (non_tcp, not_ip, ip_fragments, truncated, unknown_link, duplicate_copies). */
  counts: Record<string, number>;
  firstTs: number | null;
  lastTs: number | null;
  files: string[];
  warnings: string[];
  errors: SummaryRecord['errors'];
  /** Packets whose time no clock gave, given the time of the packet before. */
  impossibleTimes: number;
  /** Packets the capture itself dropped, by the files' own counters (pcapng interface statistics). */
  captureDrops: number;
  /** Time of the last TCP packet: how far the tracker's clock went. */
  lastTcpTs: number | null;
  /** Per input: its frames, and the times of its first and last. */
  inputs: { frames: number; firstTs: number | null; lastTs: number | null }[];
}

/** What the connections tell the summary; the sum over --jobs shards is the one thread's. */
export interface ConnectionTally {
  connections: number;
  statesAtEnd: Partial<Record<TcpState, number>>;
  evicted: number;
  /** Evicted connections judged when evicted, not at the end of the capture (more than --max-live waited at once). */
  judgedEarly: number;
  oneSided: number;
  /** Packets earlier than the one before them in their connection. */
  backward: number;
  /** Live input: packets that came after their lifecycle's record went out. */
  late: number;
  /** Segments acknowledged but never captured, and the connections with any, on connections seen both ways. */
  missedSegments: number;
  missedSegmentConnections: number;
  /** Connections by the vantage their handshake and TTLs tell. */
  vantages: Record<Vantage, number>;
}

export interface ReadHooks {
  /** Connections so far, for progress. */
  liveConnections: () => number;
  /** Sees every frame number after its packet was handed on. */
  onFrame?: (frameNo: number) => void;
  /** Live input: the input paused, and capture time, following the wall clock, reached `ts`. */
  onPause?: (ts: number) => void;
  /** Live input: called about every LIVE_TICK_MS while a stream is read, so that buffered output goes out. */
  onTick?: () => void;
  /** A file began longer than --stuck-after after the previous one ended: the capture saw nothing from `from` to `to`. */
  onGap?: (from: number, to: number) => void;
}

/**
 * The packet side of the pipeline: every input read in order and every
 * frame decoded once; each TCP packet is handed to `onTcp` (the view and the
 * frame are reused: valid during the call) with the name and index of its
 * input, and so is each second copy of one (`pkt.kind` is Duplicate), which
 * is counted once but named in its lifecycle's Wireshark filter.
 */
export async function readPackets(
  inputs: NamedInput[],
  options: AnalyzeOptions,
  onTcp: (pkt: PacketView, file: string, fileIndex: number, frame: Frame) => void,
  hooks: ReadHooks,
): Promise<ReadTally> {
  const decoder = new Decoder();
  const pkt = new PacketView();
  const tally: ReadTally = { packets: 0, tcpPackets: 0, counts: {}, firstTs: null, lastTs: null, files: [], warnings: [], errors: [], impossibleTimes: 0, captureDrops: 0, lastTcpTs: null, inputs: [] };
  const { onFrame, onPause, onTick, onGap } = hooks;
  const stuckAfter = options.stuckAfter ?? DEFAULTS.stuckAfter;
  let frameNo = 1;
  const all = new TimeSpan();
  const tcp = new TimeSpan();
  for (let i = 0; i < inputs.length; i++) {
    const { source: input, name } = inputs[i]!;
    tally.files.push(name);
    const lastBefore = all.last;
    const inFile = new TimeSpan();
    let fileFragments = 0;
    const handle = (frame: Frame): void => {
      if (all.first === Infinity) options.onFirstPacket?.(frame.ts);
      if (i > 0 && inFile.first === Infinity && Number.isFinite(all.last) && frame.ts - all.last > stuckAfter) {
        onGap?.(all.last, frame.ts);
        tally.warnings.push(`${name} begins ${(frame.ts - all.last).toFixed(1)} s after the previous file ends, longer than --stuck-after (${stuckAfter} s): the capture saw nothing in between, and that time is not counted as time stuck`);
      }
      all.add(frame.ts);
      inFile.add(frame.ts);
      const kind = decoder.decode(frame, pkt);
      if (kind === PacketKind.Fragment) fileFragments++;
      else if (kind === PacketKind.Tcp || kind === PacketKind.Duplicate) {
        if (kind === PacketKind.Tcp) tcp.add(pkt.ts);
        pkt.fileFrameNo = frame.frameNo - frameNo + 1;
        pkt.fileFragments = fileFragments;
        onTcp(pkt, name, i, frame);
      }
      onFrame?.(frame.frameNo);
    };
    // Live input: while the input pauses, capture time follows the wall clock from the last chunk on.
    let chunkAt = performance.now();
    const ticks = onTick
      ? setInterval(() => {
          const paused = performance.now() - chunkAt;
          if (paused >= LIVE_PAUSE_MS && Number.isFinite(all.last)) onPause?.(all.last + paused / 1000);
          onTick();
        }, LIVE_TICK_MS)
      : undefined;
    const result = await readCapture(input, name, handle, {
      maxRecord: options.maxRecord ?? DEFAULTS.maxRecord,
      firstFrameNo: frameNo,
      onRecord: options.onRecord,
      pause: options.pause,
      signal: options.signal,
      onProgress: (bytes: number, totalBytes: number | undefined) => {
        chunkAt = performance.now();
        options.onProgress?.({ input: name, bytes, totalBytes, packets: decoder.counts.packets, connections: hooks.liveConnections() });
      },
    }).finally(() => clearInterval(ticks));
    frameNo += result.frames;
    tally.inputs.push({ frames: result.frames, firstTs: inFile.firstOrNull, lastTs: inFile.lastOrNull });
    if (inFile.first < lastBefore) {
      tally.warnings.push(`${name} begins before the previous file ends: files are read one after another, not interleaved packet by packet`);
    }
    if (result.impossibleTimes) {
      tally.impossibleTimes += result.impossibleTimes.count;
      tally.warnings.push(`${name}: ${result.impossibleTimes.count} packet(s) had times no clock gave (before 1970 or after 9999; the first is frame ${result.impossibleTimes.firstFrame}): each was given the time of the packet before it`);
    }
    tally.captureDrops += result.droppedPackets ?? 0;
    if (result.warning) tally.warnings.push(result.warning.message);
    if (result.error) tally.errors.push({ file: result.error.file, offset: result.error.offset, reason: result.error.reason });
    if (options.signal?.aborted) {
      tally.warnings.push(`interrupted: ${name} was read up to byte ${result.bytes}${i + 1 < inputs.length ? `; ${inputs.length - i - 1} more file(s) not read` : ''}; connections still open are reported as they stood`);
      break;
    }
  }
  const counts = decoder.counts;
  tally.packets = counts.packets;
  tally.tcpPackets = counts.tcp;
  tally.counts = {
    non_tcp: counts.nonTcp,
    not_ip: counts.notIp,
    ip_fragments: counts.fragments,
    truncated: counts.truncated,
    unknown_link: counts.unknownLink,
    duplicate_copies: counts.duplicates,
  };
  if (counts.unknownLink > 0) tally.warnings.push(`${counts.unknownLink} packets of unknown link types were skipped`);
  tally.firstTs = all.firstOrNull;
  tally.lastTs = all.lastOrNull;
  tally.lastTcpTs = tcp.lastOrNull;
  return tally;
}

/**
 * The earliest and latest of the times seen. An object's fields hold a time
 * in place, where a variable shared with a closure takes a new heap number
 * for every packet's time.
 */
class TimeSpan {
  first = Infinity;
  last = -Infinity;

  add(ts: number): void {
    if (ts < this.first) this.first = ts;
    if (ts > this.last) this.last = ts;
  }

  get firstOrNull(): number | null {
    return Number.isFinite(this.first) ? this.first : null;
  }

  get lastOrNull(): number | null {
    return Number.isFinite(this.last) ? this.last : null;
  }
}

/** A tally of no connections. */
export function emptyTally(): ConnectionTally {
  return { connections: 0, statesAtEnd: {}, evicted: 0, judgedEarly: 0, oneSided: 0, backward: 0, late: 0, missedSegments: 0, missedSegmentConnections: 0, vantages: noVantages() };
}

/** Counts one connection's record. */
export function countRecord(t: ConnectionTally, summary: ConnectionSummary): void {
  t.connections++;
  if (isOneSided(summary)) t.oneSided++;
  else if (summary.missed_segments > 0) {
    t.missedSegments += summary.missed_segments;
    t.missedSegmentConnections++;
  }
  t.vantages[summary.vantage]++;
  t.statesAtEnd[summary.client_state] = (t.statesAtEnd[summary.client_state] ?? 0) + 1;
  t.statesAtEnd[summary.server_state] = (t.statesAtEnd[summary.server_state] ?? 0) + 1;
}

/** Adds tally `t` (of other records, or another shard's) to `into`; a tally kept before some counts existed adds none of them. */
export function addTally(into: ConnectionTally, t: ConnectionTally): void {
  into.connections += t.connections;
  into.evicted += t.evicted;
  into.judgedEarly += t.judgedEarly ?? 0;
  into.oneSided += t.oneSided;
  into.backward += t.backward;
  into.late += t.late;
  into.missedSegments += t.missedSegments ?? 0;
  into.missedSegmentConnections += t.missedSegmentConnections ?? 0;
  for (const v of VANTAGES) into.vantages[v] += t.vantages?.[v] ?? 0;
  for (const [state, n] of Object.entries(t.statesAtEnd) as [TcpState, number][]) into.statesAtEnd[state] = (into.statesAtEnd[state] ?? 0) + n;
}

/** The counts and findings aggregates of a set of records. */
class RecordCounts {
  readonly tally = emptyTally();

  constructor(readonly findings: FindingsAggregator | undefined) {}

  add(summary: ConnectionSummary, log: TransitionLogView): void {
    countRecord(this.tally, summary);
    this.findings?.add(summary, log);
  }
}

/**
 * The connection side of the pipeline: the tracker, the findings and the
 * counts the summary takes from connections. One per run, or one per
 * --jobs shard. With a merge collector, the records `merge` may make again
 * (of lifecycles it watched, and of those open at the end) are counted
 * apart, so that the merge state holds the counts of the others alone.
 */
export class ConnectionStage {
  readonly tracker: FlowTracker;
  private readonly settled: RecordCounts;
  private readonly apart: RecordCounts | undefined;

  constructor(
    options: AnalyzeOptions & { collector?: MergeCollector | undefined },
    connection: PipelineOutput['connection'],
    findings: boolean,
    readonly gaps = new CaptureGaps(),
  ) {
    const aggregator = () => (findings ? new FindingsAggregator({ stuckAfter: options.stuckAfter ?? DEFAULTS.stuckAfter }) : undefined);
    this.settled = new RecordCounts(aggregator());
    const collector = options.collector;
    const apart = (this.apart = collector && new RecordCounts(aggregator()));
    const onConnection: ConnectionSink = (summary, log) => {
      (apart && collector!.takeApart() ? apart : this.settled).add(summary, log);
      connection(summary, log);
    };
    this.tracker = new FlowTracker(
      {
        stuckAfter: options.stuckAfter ?? DEFAULTS.stuckAfter,
        timeWait: options.timeWait ?? DEFAULTS.timeWait,
        maxLive: options.maxLive ?? DEFAULTS.maxLive,
        keepSegments: options.keepSegments ?? 0,
        live: options.live ?? false,
        transitions: options.onTransition,
        gaps,
        watch: collector,
      },
      onConnection,
    );
  }

  get connections(): number {
    return this.settled.tally.connections + (this.apart?.tally.connections ?? 0);
  }

  /** The findings aggregates of every record. */
  findings(): FindingsAggregator | undefined {
    const settled = this.settled.findings;
    if (!this.apart || !settled) return settled;
    const all = new FindingsAggregator(settled.options);
    all.merge(structuredClone(settled.snapshot()));
    all.merge(structuredClone(this.apart.findings!.snapshot()));
    return all;
  }

  /** Counts of every record. */
  tally(): ConnectionTally {
    return this.tallyOf(this.apart ? [this.settled, this.apart] : [this.settled]);
  }

  /** The counts and findings of the records not counted apart: what the merge state holds. */
  settledState(): { tally: ConnectionTally; findings: Aggregate[] } {
    return { tally: this.tallyOf([this.settled]), findings: this.settled.findings?.snapshot() ?? [] };
  }

  private tallyOf(parts: RecordCounts[]): ConnectionTally {
    const t = this.tracker;
    const tally = emptyTally();
    tally.evicted = t.evicted;
    tally.judgedEarly = t.judgedEarly;
    tally.backward = t.backward;
    tally.late = t.latePackets;
    for (const part of parts) addTally(tally, part.tally);
    return tally;
  }
}

/** Counts by state in the catalog's order, so that one run, --jobs shards and a merge write the same bytes. */
function inStateOrder(counts: Partial<Record<TcpState, number>>): Partial<Record<TcpState, number>> {
  const ordered: Partial<Record<TcpState, number>> = {};
  for (const state of TCP_STATES) if (counts[state] !== undefined) ordered[state] = counts[state];
  return ordered;
}

/**
 * The summary record from what reading and the connections tell;
 * `connections` may be the sum over shards, whose live-connection limit
 * `maxLive` then describes.
 */
export function buildSummary(read: ReadTally, connections: ConnectionTally, findings: number, maxLive: string): SummaryRecord {
  const counts = {
    ...read.counts,
    evicted_connections: connections.evicted,
    evicted_judged_early: connections.judgedEarly,
    one_sided_connections: connections.oneSided,
    impossible_timestamps: read.impossibleTimes,
    backward_timestamps: connections.backward,
    ...(connections.late > 0 && { late_packets: connections.late }),
    capture_drops: read.captureDrops,
    missed_segments: connections.missedSegments,
    missed_segment_connections: connections.missedSegmentConnections,
  };
  return {
    type: 'summary',
    packets: read.packets,
    tcp_packets: read.tcpPackets,
    connections: connections.connections,
    states_at_end: inStateOrder(connections.statesAtEnd),
    findings,
    vantage: captureVantage(connections.vantages),
    vantage_connections: connections.vantages,
    counts,
    first_ts: read.firstTs,
    last_ts: read.lastTs,
    files: read.files,
    warnings: [...read.warnings, ...connectionWarnings(counts, maxLive)],
    errors: read.errors,
  };
}

/** Warnings from the connection counts of a summary (one run, or the sum of --jobs shards). */
export function connectionWarnings(counts: Record<string, number>, maxLive: string): string[] {
  const warnings: string[] = [];
  const evicted = counts.evicted_connections ?? 0;
  const oneSided = counts.one_sided_connections ?? 0;
  const backward = counts.backward_timestamps ?? 0;
  if (backward > 0) warnings.push(`${backward} packet(s) were earlier than the packet before them in their connection: each was given that packet's time, so no connection's time runs backwards`);
  if (evicted > 0) {
    const early = counts.evicted_judged_early ?? 0;
    warnings.push(`live-connection limit (${maxLive}) reached: ${evicted} idle connection(s) left the table; those in a wait were judged by what they were at the end of the capture${early > 0 ? `, but ${early} when they left (more waited at once than the limit): their waits may be under-reported` : ''}`);
  }
  if (oneSided > 0) {
    warnings.push(`${oneSided} connection(s) were captured in one direction only (asymmetric routing, or a capture filter on one direction): the unseen side's states are inferred, and no wait on it is judged`);
  }
  const drops = counts.capture_drops ?? 0;
  if (drops > 0) warnings.push(`the capture dropped ${drops} packet(s), by its own interface statistics: do not blame the network for them`);
  const missed = counts.missed_segments ?? 0;
  if (missed > 0) {
    warnings.push(`${counts.missed_segment_connections ?? 0} connection(s) had ${missed} segment(s) acknowledged by their peer that the capture never held: the capture itself lost them (or they took another path), not the network; the FINs, SYN-ACKs and data among them are inferred`);
  }
  return warnings;
}

/**
 * The library API: every record of the contract, in order, as an async
 * iterable. Memory stays bounded: the pipeline pauses while the consumer has
 * not taken what was already produced.
 */
const QUEUE_HIGH_WATER = 4096;

/** Ends the reading when the consumer of analyze() stopped early. */
class ConsumerStopped extends Error {}

export async function* analyze(inputs: CaptureInput | CaptureInput[], options: AnalyzeOptions = {}): AsyncGenerator<OutputRecord> {
  for await (const batch of analyzeInBatches(inputs, options)) yield* batch;
}

/**
 * The same records as `analyze`, in arrays of those ready together: one
 * promise per batch instead of one per record, for consumers that take
 * hundreds of thousands of records (the report, states and check commands).
 */
export async function* analyzeInBatches(inputs: CaptureInput | CaptureInput[], options: AnalyzeOptions = {}): AsyncGenerator<OutputRecord[]> {
  checkOptions(options);
  let queue: OutputRecord[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  let resume: (() => void) | undefined;
  let stopped = false;
  const limit = options.queueLimit ?? QUEUE_HIGH_WATER;
  const pause = (): Promise<void> | undefined => {
    if (stopped) return Promise.reject(new ConsumerStopped());
    return queue.length < limit ? undefined : new Promise<void>((resolve) => (resume = resolve));
  };
  const run = runPipeline(inputs, { ...options, pause }, (record) => {
    queue.push(record);
    wake?.();
  }).then(
    () => { done = true; wake?.(); },
    (error: unknown) => {
      if (!(error instanceof ConsumerStopped)) failure = error;
      done = true;
      wake?.();
    },
  );
  try {
    while (true) {
      if (queue.length > 0) {
        const batch = queue;
        queue = [];
        resume?.();
        resume = undefined;
        yield batch;
        continue;
      }
      if (done) break;
      await new Promise<void>((resolve) => { wake = resolve; });
      wake = undefined;
    }
    if (failure) throw failure;
  } finally {
    stopped = true;
    resume?.();
    await run;
  }
}

export { CaptureError };
