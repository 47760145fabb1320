/**
 * `--jobs N`: one reader, N trackers. This thread reads every input and
 * decodes every frame once; each TCP packet is written to a batch in shared
 * memory with the shard its flow hash picks (both directions of a 4-tuple
 * alike), and N worker threads track the connections of their shards from
 * the same batches. So each connection, also one that spans rotated files,
 * is one lifecycle in one worker, exactly as in one thread, and N workers
 * cost one decode.
 *
 * A batch ends at every CHECKPOINT_FRAMES-th frame; after it each shard
 * hands back the records of the connections that ended, and they are written
 * shard by shard, so the output is the same from run to run. The findings
 * and the summary are merged from the shards' partial aggregates and the
 * reader's counts. Stopping (Ctrl-C) stops the one reader: every shard has
 * seen the same frames.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { addTally, buildSummary, DEFAULTS, emptyTally, distinctInputs, isLive, readPackets, runPipelineTo, type AnalyzeOptions, type CaptureInput, type ConnectionTally, type ReadTally } from '../analyze.js';
import { prepareInputs } from '../capture/inputs.js';
import { flowHash, shardOf } from '../flow/tracker.js';
import type { FindingRecord, SummaryRecord } from '../records.js';
import { FindingsAggregator } from '../rules/findings.js';
import { packPacket, PACKET_SLOTS } from './packed-packets.js';
import type { FromShard, ShardJob, ShardMergeState, ToShard } from './protocol.js';
import { Shard } from './shard.js';
import { aggregatesToJson, MERGE_STATE_VERSION, type MergeStateRecord } from '../merge/state.js';
import { NdjsonEncoder } from '../report/ndjson-encoder.js';

/** Frames per batch: the output is cut here, in every shard alike. */
const CHECKPOINT_FRAMES = 8192;
/** Batches the reader keeps ready to fill; it pauses while fewer are free. */
const SPARE_BATCHES = 2;
/** Windows of output received and not yet written before the reader pauses. */
const WINDOWS_AHEAD = 8;
/**
 * A worker's nursery: a record's garbage dies young, so a small one costs no
 * time (measured on the reference capture) and keeps V8 from holding 32 MiB
 * of young generation per thread.
 */
const YOUNG_GENERATION_MB = 6;
const WORKER = fileURLToPath(new URL('./shard-worker.js', import.meta.url));

export interface ShardedOutput {
  /** NDJSON bytes of connection records, in output order; `written` once the bytes are out and the chunk may be reused. */
  connections(bytes: Uint8Array, written: () => void): void;
  finding(record: FindingRecord): void;
  summary(record: SummaryRecord): void;
  /** A promise while the output has more queued than it wants (a pipe to a slower reader). */
  room?(): Promise<void> | undefined;
  /** Given, the run gathers what `merge` needs and hands it here, after the findings and before the summary (not on live input). */
  mergeState?(record: MergeStateRecord): void;
}

interface Batch {
  id: number;
  buffer: SharedArrayBuffer;
  packets: Float64Array;
  /** Workers that were sent it. */
  shared: boolean[];
  /** Workers still applying it. */
  pending: number;
}

/** A shard as the reader sees it: in a worker thread, or in this one. */
interface ShardHandle {
  post(message: ToShard, transfer: ArrayBuffer[]): void;
  listen(onMessage: (message: FromShard) => void, onFailure: (error: Error) => void): void;
  stop(): void;
}

function workerShard(job: ShardJob): ShardHandle {
  const worker = new Worker(WORKER, { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen: (onMessage, onFailure) => {
      worker.on('message', onMessage);
      worker.on('error', onFailure);
      worker.on('exit', (code) => onFailure(new Error(`shard ${job.shard.index} stopped (exit code ${code}) before it finished`)));
    },
    stop: () => void worker.terminate(),
  };
}

/** A shard in the reader's thread: each batch is applied as it is posted; answers arrive as microtasks, as a worker's would. */
function inlineShard(job: ShardJob): ShardHandle {
  let deliver: (message: FromShard) => void = () => {};
  const shard = new Shard(job, (message) => queueMicrotask(() => deliver(message)));
  return {
    post: (message) => void shard.receive(message),
    listen: (onMessage) => (deliver = onMessage),
    stop: () => {},
  };
}

/**
 * Runs the pipeline on `jobs` shards: worker threads, or with `threads:
 * false` shards in this thread (the same output, for small work and tests).
 * One job runs in this thread with nothing in between (see runInThisThread).
 */
export async function runSharded(inputList: CaptureInput[], options: AnalyzeOptions, jobs: number, out: ShardedOutput, { threads = true } = {}): Promise<SummaryRecord> {
  if (jobs === 1) return runInThisThread(inputList, options, out);
  const distinct = distinctInputs(inputList);
  const inputs = await prepareInputs(distinct.inputs, options.signal);
  const files = inputs.map((input) => input.name);
  const live = isLive(inputList, options);
  const shardOptions: ShardJob['options'] = {
    live,
    stuckAfter: options.stuckAfter ?? DEFAULTS.stuckAfter,
    timeWait: options.timeWait ?? DEFAULTS.timeWait,
    maxLive: Math.max(1, Math.ceil((options.maxLive ?? DEFAULTS.maxLive) / jobs)),
  };

  /** Per shard, the windows received and not yet written, each a list of chunks. */
  const windows: Uint8Array[][][] = Array.from({ length: jobs }, () => []);
  /** Per shard, chunks whose bytes are out, to go back to the shard for reuse. */
  const returned: Uint8Array[][] = Array.from({ length: jobs }, () => []);
  const done: (Extract<FromShard, { kind: 'done' }> | undefined)[] = Array<undefined>(jobs).fill(undefined);
  /** Per shard, its connections so far (for progress). */
  const tracked: number[] = Array<number>(jobs).fill(0);
  const all: Batch[] = [];
  const free: Batch[] = [];
  /** Wakes the reader when a batch is free again, the output caught up, or a shard failed. */
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const poke = (): void => {
    wake?.();
    wake = undefined;
  };

  const mergeState = out.mergeState !== undefined && !live;
  const shards = Array.from({ length: jobs }, (_, index): ShardHandle => {
    const job: ShardJob = { files, options: shardOptions, shard: { index, count: jobs }, mergeState };
    return threads ? workerShard(job) : inlineShard(job);
  });
  const post = (index: number, message: ToShard, transfer: ArrayBuffer[] = []): void => shards[index]!.post(message, transfer);

  /** Bytes of connection records written so far: where the records of the open lifecycles begin and end. */
  let written = 0;
  const write = (bytes: Uint8Array, done: () => void): void => {
    written += bytes.length;
    out.connections(bytes, done);
  };
  /** Writes every window all shards have delivered, shard by shard; written chunks go back to their shard. */
  const drain = (): void => {
    while (windows.every((w) => w.length > 0)) {
      windows.forEach((w, index) => {
        for (const bytes of w.shift()!) write(bytes, () => returned[index]!.push(bytes));
      });
    }
    returned.forEach((chunks, index) => {
      if (chunks.length === 0 || done[index]) return;
      const taken = chunks.splice(0);
      post(index, { kind: 'reuse', chunks: taken }, taken.map((c) => c.buffer as ArrayBuffer));
    });
    poke();
  };

  const finished = Promise.all(
    shards.map(
      (shard, index) =>
        new Promise<void>((resolve, reject) => {
          shard.listen((message: FromShard) => {
            if (message.kind === 'applied') {
              tracked[index] = message.connections;
              if (message.window) windows[index]!.push(message.window);
              const batch = all[message.id]!;
              if (--batch.pending === 0) free.push(batch);
              drain();
            } else if (message.kind === 'done') {
              done[index] = message;
              resolve();
            } else {
              reject(new Error(`shard ${index}: ${message.message}`));
            }
          }, (error) => {
            if (!done[index]) reject(error);
          });
        }),
    ),
  ).catch((error: unknown) => {
    failure = error instanceof Error ? error : new Error(String(error));
    poke();
    throw failure;
  });
  finished.catch(() => {}); // awaited below; a failure also wakes the reader

  let batch: Batch | undefined;
  let count = 0;
  const fresh = (): Batch => {
    const buffer = new SharedArrayBuffer(CHECKPOINT_FRAMES * PACKET_SLOTS * Float64Array.BYTES_PER_ELEMENT);
    const b: Batch = { id: all.length, buffer, packets: new Float64Array(buffer), shared: Array<boolean>(jobs).fill(false), pending: 0 };
    all.push(b);
    return b;
  };
  while (free.length <= SPARE_BATCHES) free.push(fresh());
  /** Gaps between files found since the last batch went out, for every shard's judgement of stuck waits. */
  const newGaps: [number, number][] = [];
  const ship = (checkpoint: boolean, advanceTo?: number): void => {
    const b = batch ?? (free.pop() ?? fresh());
    b.pending = jobs;
    const gaps = newGaps.splice(0);
    for (let index = 0; index < jobs; index++) {
      post(index, { kind: 'batch', id: b.id, count, checkpoint, advanceTo, ...(gaps.length > 0 && { gaps }), ...(b.shared[index] ? {} : { buffer: b.buffer }) });
      b.shared[index] = true;
    }
    batch = undefined;
    count = 0;
  };
  const ready = (): boolean => {
    if (failure) throw failure;
    return free.length >= SPARE_BATCHES && Math.max(...windows.map((w) => w.length)) < WINDOWS_AHEAD;
  };
  const caughtUp = async (): Promise<void> => {
    while (!ready()) await new Promise<void>((resolve) => (wake = resolve));
    await (options.pause?.() ?? out.room?.());
  };

  let read: Awaited<ReturnType<typeof readPackets>>;
  try {
    read = await readPackets(
      inputs,
      {
        ...options,
        // Between chunks of input: wait for free batches, for the output to catch up, and for room downstream.
        pause: () => (ready() ? (options.pause?.() ?? out.room?.()) : caughtUp()),
      },
      (pkt, _file, fileIndex) => {
        batch ??= free.pop() ?? fresh();
        packPacket(pkt, shardOf(flowHash(pkt), jobs), fileIndex, batch.packets, count++);
      },
      {
        liveConnections: () => tracked.reduce((a, b) => a + b, 0),
        onGap: (from, to) => newGaps.push([from, to]),
        onFrame: (frameNo) => {
          if (frameNo % CHECKPOINT_FRAMES === 0) ship(true);
        },
        // A live capture: what was read goes to the shards at every tick, not only every CHECKPOINT_FRAMES frames,
        // and while the input pauses their clocks follow the wall clock, as one thread's does.
        ...(live && {
          onTick: () => {
            if (count > 0) ship(true);
          },
          onPause: (ts: number) => ship(true, ts),
        }),
      },
    );
  } catch (error) {
    for (const shard of shards) shard.stop();
    throw error;
  }
  read.warnings.unshift(...distinct.warnings);
  // The last batch is a checkpoint too: the records that ended in it go out before those of the lifecycles still open.
  ship(true);
  for (let index = 0; index < jobs; index++) post(index, { kind: 'end', lastTs: read.lastTs });
  await finished;
  drain();

  const results = done as Extract<FromShard, { kind: 'done' }>[];
  const openFrom = written;
  for (const r of results) for (const bytes of r.chunks) write(bytes, () => {});
  const findings = new FindingsAggregator({ stuckAfter: shardOptions.stuckAfter });
  for (const r of results) findings.merge(r.findings);
  const records = options.findings === false ? [] : findings.results();
  for (const record of records) out.finding(record);
  const maxLive = options.maxLive ?? DEFAULTS.maxLive;
  if (mergeState) {
    const settings = { stuck_after: shardOptions.stuckAfter, time_wait: shardOptions.timeWait, max_live: maxLive };
    out.mergeState!(mergeStateRecord(read, settings, results.map((r) => r.merge!), { from: openFrom, to: written }));
  }
  const summary = buildSummary(read, sumTallies(results.map((r) => r.tally)), records.length, jobs > 1 ? `${maxLive}, split over ${jobs} shards` : `${maxLive}`);
  out.summary(summary);
  return summary;
}

/**
 * One job: the pipeline of one thread (runPipelineTo), the reader handing
 * each decoded packet straight to the tracker and records encoded as they
 * end. The bytes are those one shard writes, without packing every packet
 * into shared memory and out again, or a second thread to start: a fifth
 * less CPU time, which is what a batch engine running one task per file pays.
 */
function runInThisThread(inputList: CaptureInput[], options: AnalyzeOptions, out: ShardedOutput): Promise<SummaryRecord> {
  let written = 0;
  let openFrom = 0;
  const encoder: NdjsonEncoder = new NdjsonEncoder((bytes) => {
    written += bytes.length;
    out.connections(bytes, () => encoder.release(bytes));
  });
  const settings = { stuck_after: options.stuckAfter ?? DEFAULTS.stuckAfter, time_wait: options.timeWait ?? DEFAULTS.timeWait, max_live: options.maxLive ?? DEFAULTS.maxLive };
  const mergeState = out.mergeState;
  return runPipelineTo(inputList, { ...options, pause: () => options.pause?.() ?? out.room?.() }, {
    connection: (summary, log) => encoder.connection(summary, log),
    tick: () => encoder.flush(),
    // The records of the lifecycles still open come last, where the merge state says they are.
    openRecords: (edge) => {
      encoder.flush();
      if (edge === 'before') openFrom = written;
    },
    finding: (record) => out.finding(record),
    ...(mergeState && { mergeState: (state: ShardMergeState, read: ReadTally) => mergeState(mergeStateRecord(read, settings, [state], { from: openFrom, to: written })) }),
    summary: (record) => out.summary(record),
  });
}

function mergeStateRecord(read: ReadTally, options: MergeStateRecord['options'], shards: ShardMergeState[], open: { from: number; to: number }): MergeStateRecord {
  const findings = new FindingsAggregator({ stuckAfter: options.stuck_after });
  for (const s of shards) findings.merge(s.finalFindings);
  return {
    type: 'merge_state',
    version: MERGE_STATE_VERSION,
    options,
    files: read.files.map((name, i) => ({ name, frames: read.inputs[i]?.frames ?? 0, first_ts: read.inputs[i]?.firstTs ?? null, last_ts: read.inputs[i]?.lastTs ?? null })),
    read,
    final: { tally: sumTallies(shards.map((s) => s.finalTally)), findings: aggregatesToJson(findings.snapshot()) },
    open: { ...open, count: shards.reduce((n, s) => n + s.collected.openCount, 0) },
    parts: shards.map((s) => s.collected),
  };
}

export function sumTallies(tallies: ConnectionTally[]): ConnectionTally {
  const sum = emptyTally();
  for (const t of tallies) addTally(sum, t);
  return sum;
}
