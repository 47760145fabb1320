/**
 * The pipeline, end to end: captures in, contract records out. Library users
 * get records as objects from `analyze` (async iterable) or `runPipeline`
 * (callback); the CLI's NDJSON output takes each connection from
 * `runPipelineTo` as its summary and numeric transition log and encodes it
 * straight to bytes.
 */
import { prepareInputs } from './capture/inputs.js';
import { firstPacketTime, readCapture, sniffCaptureFile } from './capture/source.js';
import { readsAsStream } from './capture/stream-input.js';
import { CaptureError, type Frame } from './capture/frame.js';
import { Decoder } from './decode/frame-decoder.js';
import { PacketKind, PacketView } from './decode/packet.js';
import { isOneSided, toConnectionRecord } from './flow/lifecycle.js';
import { FlowTracker, DEFAULT_STUCK_AFTER, type ConnectionSink } from './flow/tracker.js';
import { FindingsAggregator } from './rules/findings.js';
import type { ConnectionSummary, FindingRecord, OutputRecord, SummaryRecord } from './records.js';
import type { TcpState } from './state/states.js';
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
  /**
   * Track only the connections of one shard of the flow-hash space (both
   * directions of a 4-tuple hash alike): how `--jobs` splits the work across
   * worker threads. Every packet is still read and counted.
   */
  shard?: { index: number; count: number };
  /** Called at every `checkpointFrames`-th frame, after it was applied: lets parallel shards cut their output at the same places. */
  onCheckpoint?: (frameNo: number) => void;
  checkpointFrames?: number;
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

function inputName(input: CaptureInput, index: number): string {
  if (typeof input === 'string') return input === '-' ? '<stdin>' : input;
  if (input instanceof Uint8Array) return `<buffer ${index + 1}>`;
  // A file stream (fs.createReadStream) carries its path.
  const path = (input as { path?: unknown }).path;
  return typeof path === 'string' ? path : `<stream ${index + 1}>`;
}

/**
 * Rejects unusable files before any record is emitted, so that a usage
 * problem never leaves half an output behind (`--jobs`, whose workers read
 * files by name; the pipeline probes every kind of input itself).
 */
export function validateInputs(inputs: CaptureInput[]): void {
  for (const input of inputs) {
    if (typeof input === 'string' && !readsAsStream(input)) sniffCaptureFile(input);
  }
}

/** Files in the time order of their first packets (see capture/inputs.ts); a list with any other input stays as given. */
export function orderInputs(inputs: CaptureInput[]): CaptureInput[] {
  if (inputs.length < 2 || !inputs.every((i) => typeof i === 'string' && !readsAsStream(i))) return inputs;
  const start = new Map(inputs.map((i) => [i, firstPacketTime(i as string) ?? Infinity]));
  return [...inputs].sort((a, b) => start.get(a)! - start.get(b)!);
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

/** The pipeline, with connections handed on in their two parts (see PipelineOutput). */
export async function runPipelineTo(
  inputList: CaptureInput | CaptureInput[],
  options: AnalyzeOptions,
  output: PipelineOutput,
): Promise<SummaryRecord> {
  const given = Array.isArray(inputList) ? inputList : [inputList];
  const inputs = await prepareInputs(given.map((source, i) => ({ source, name: inputName(source, i) })), options.signal);

  const live = options.live ?? given.some((source) => typeof source === 'string' && readsAsStream(source));
  const decoder = new Decoder();
  const pkt = new PacketView();
  const findings = options.findings === false ? undefined : new FindingsAggregator({ stuckAfter: options.stuckAfter ?? DEFAULTS.stuckAfter });
  const statesAtEnd: Partial<Record<TcpState, number>> = {};
  let connections = 0;
  let oneSided = 0;
  const onConnection: ConnectionSink = (summary, log) => {
    connections++;
    if (isOneSided(summary)) oneSided++;
    statesAtEnd[summary.client_state] = (statesAtEnd[summary.client_state] ?? 0) + 1;
    statesAtEnd[summary.server_state] = (statesAtEnd[summary.server_state] ?? 0) + 1;
    findings?.add(summary, log);
    output.connection(summary, log);
  };
  const tracker = new FlowTracker(
    {
      stuckAfter: options.stuckAfter ?? DEFAULTS.stuckAfter,
      timeWait: options.timeWait ?? DEFAULTS.timeWait,
      maxLive: options.maxLive ?? DEFAULTS.maxLive,
      keepSegments: options.keepSegments ?? 0,
      shard: options.shard,
      live,
    },
    onConnection,
  );

  const summary: SummaryRecord = {
    type: 'summary',
    packets: 0,
    tcp_packets: 0,
    connections: 0,
    states_at_end: statesAtEnd,
    findings: 0,
    counts: {},
    first_ts: null,
    last_ts: null,
    files: [],
    warnings: [],
    errors: [],
  };

  let frameNo = 1;
  let impossibleTimes = 0;
  let firstTs = Infinity;
  let lastTs = -Infinity;
  const every = options.onCheckpoint ? (options.checkpointFrames ?? 65536) : 0;
  for (let i = 0; i < inputs.length; i++) {
    const { source: input, name } = inputs[i]!;
    summary.files.push(name);
    const lastBefore = lastTs;
    let fileFirstTs = Infinity;
    const onFrame = (frame: Frame): void => {
      if (frame.ts < firstTs) firstTs = frame.ts;
      if (frame.ts > lastTs) lastTs = frame.ts;
      if (frame.ts < fileFirstTs) fileFirstTs = frame.ts;
      if (decoder.decode(frame, pkt) === PacketKind.Tcp) tracker.onPacket(pkt, name);
      if (every > 0 && frame.frameNo % every === 0) options.onCheckpoint!(frame.frameNo);
    };
    // Live input: while the input pauses, capture time follows the wall clock from the last chunk on.
    let chunkAt = performance.now();
    const ticks = live
      ? setInterval(() => {
          const paused = performance.now() - chunkAt;
          if (paused >= LIVE_PAUSE_MS && Number.isFinite(lastTs)) tracker.advance(lastTs + paused / 1000);
          output.tick?.();
        }, LIVE_TICK_MS)
      : undefined;
    const result = await readCapture(input, name, onFrame, {
      maxRecord: options.maxRecord ?? DEFAULTS.maxRecord,
      firstFrameNo: frameNo,
      pause: options.pause,
      signal: options.signal,
      onProgress: (bytes: number, totalBytes: number | undefined) => {
        chunkAt = performance.now();
        options.onProgress?.({ input: name, bytes, totalBytes, packets: decoder.counts.packets, connections: connections + tracker.live });
      },
    }).finally(() => clearInterval(ticks));
    frameNo += result.frames;
    if (fileFirstTs < lastBefore) {
      summary.warnings.push(`${name} begins before the previous file ends: files are read one after another, not interleaved packet by packet`);
    }
    if (result.impossibleTimes) {
      impossibleTimes += result.impossibleTimes.count;
      summary.warnings.push(`${name}: ${result.impossibleTimes.count} packet(s) had times no clock gave (before 1970 or after 9999; the first is frame ${result.impossibleTimes.firstFrame}): each was given the time of the packet before it`);
    }
    if (result.warning) summary.warnings.push(result.warning.message);
    if (result.error) summary.errors.push({ file: result.error.file, offset: result.error.offset, reason: result.error.reason });
    if (options.signal?.aborted) {
      summary.warnings.push(`interrupted: ${name} was read up to byte ${result.bytes}${i + 1 < inputs.length ? `; ${inputs.length - i - 1} more file(s) not read` : ''}; connections still open are reported as they stood`);
      break;
    }
  }

  tracker.finish(Number.isFinite(lastTs) ? lastTs : undefined);

  if (findings) {
    for (const finding of findings.results()) {
      summary.findings++;
      output.finding(finding);
    }
  }

  const counts = decoder.counts;
  summary.packets = counts.packets;
  summary.tcp_packets = counts.tcp;
  summary.connections = connections;
  summary.first_ts = Number.isFinite(firstTs) ? firstTs : null;
  summary.last_ts = Number.isFinite(lastTs) ? lastTs : null;
  summary.counts = {
    non_tcp: counts.nonTcp,
    not_ip: counts.notIp,
    ip_fragments: counts.fragments,
    truncated: counts.truncated,
    unknown_link: counts.unknownLink,
    duplicate_copies: counts.duplicates,
    evicted_connections: tracker.evicted,
    one_sided_connections: oneSided,
    impossible_timestamps: impossibleTimes,
    backward_timestamps: tracker.backward,
    ...(tracker.latePackets > 0 && { late_packets: tracker.latePackets }),
  };
  if (counts.unknownLink > 0) summary.warnings.push(`${counts.unknownLink} packets of unknown link types were skipped`);
  summary.warnings.push(...connectionWarnings(summary.counts, `${options.maxLive ?? DEFAULTS.maxLive}`));
  output.summary(summary);
  return summary;
}

/** Warnings from the connection counts of a summary (one run, or the sum of --jobs shards). */
export function connectionWarnings(counts: Record<string, number>, maxLive: string): string[] {
  const warnings: string[] = [];
  const evicted = counts.evicted_connections ?? 0;
  const oneSided = counts.one_sided_connections ?? 0;
  const backward = counts.backward_timestamps ?? 0;
  if (backward > 0) warnings.push(`${backward} packet(s) were earlier than the packet before them in their connection: each was given that packet's time, so no connection's time runs backwards`);
  if (evicted > 0) warnings.push(`live-connection limit (${maxLive}) reached: ${evicted} idle connections were reported early`);
  if (oneSided > 0) {
    warnings.push(`${oneSided} connection(s) were captured in one direction only (asymmetric routing, or a capture filter on one direction): the unseen side's states are inferred, and no wait on it is judged`);
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
