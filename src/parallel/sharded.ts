/**
 * `--jobs N`: the connections of a capture split over N worker threads by
 * flow hash. Every worker reads every input (reading and decoding are the
 * cheap part) and tracks only its shard, so each connection, also one that
 * spans rotated files, is one lifecycle in one worker, exactly as in a single
 * thread. The output is written in checkpoint windows (every 65,536 frames),
 * shard by shard within a window, so it is the same from run to run; the
 * findings and the summary are merged from the shards' partial results.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { connectionWarnings, DEFAULTS, orderInputs, validateInputs, type AnalyzeOptions } from '../analyze.js';
import { CaptureError, type CaptureErrorKind } from '../capture/frame.js';
import type { FindingRecord, SummaryRecord } from '../records.js';
import { FindingsAggregator } from '../rules/findings.js';
import type { TcpState } from '../state/states.js';
import { STOP, type ShardJob, type ShardMessage, type Written } from './protocol.js';

const CHECKPOINT_FRAMES = 8192;
/**
 * A worker's nursery: a record's garbage dies young, so a small one costs no
 * time (measured on the reference capture) and keeps V8 from holding 32 MiB
 * of young generation per thread.
 */
const YOUNG_GENERATION_MB = 6;
const here = fileURLToPath(import.meta.url);
/** The worker is this folder's shard-worker, compiled (.js) or run from source (.ts). */
const WORKER = path.join(path.dirname(here), `shard-worker${path.extname(here)}`);
/** Run from source (the tests), the worker first registers the TypeScript loader the main thread has. */
const FROM_SOURCE = path.extname(here) === '.ts';
const SOURCE_BOOT = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(WORKER).href)}); })`;

export interface ShardedOutput {
  /** NDJSON bytes of connection records, in output order; `written` once the bytes are out and the chunk may be reused. */
  connections(bytes: Uint8Array, written: () => void): void;
  finding(record: FindingRecord): void;
  summary(record: SummaryRecord): void;
  /** A promise while the output has more queued than it wants (a pipe to a slower reader). */
  room?(): Promise<void> | undefined;
}

export async function runSharded(inputList: string[], options: AnalyzeOptions, jobs: number, out: ShardedOutput): Promise<SummaryRecord> {
  validateInputs(inputList);
  const inputs = orderInputs(inputList) as string[];
  /** Per shard, the windows received and not yet written, each a list of chunks. */
  const windows: Uint8Array[][][] = Array.from({ length: jobs }, () => []);
  const done: (Extract<ShardMessage, { kind: 'done' }> | undefined)[] = Array(jobs).fill(undefined);
  const workers: Worker[] = [];
  /** Shards whose windows were written, to be told once the output has room. */
  const written: number[] = [];
  /** Per shard, chunks whose bytes are out, to go back to the shard for reuse. */
  const returned: Uint8Array[][] = Array.from({ length: jobs }, () => []);
  let waiting = false;

  const acknowledge = (): void => {
    if (waiting) return;
    const wait = out.room?.();
    if (wait) {
      waiting = true;
      void wait.then(() => {
        waiting = false;
        acknowledge();
      });
      return;
    }
    for (const index of written.splice(0)) {
      if (done[index]) continue;
      const chunks = returned[index]!.splice(0);
      workers[index]!.postMessage({ kind: 'written', chunks } satisfies Written, chunks.map((c) => c.buffer as ArrayBuffer));
    }
  };

  /** Writes every window that all shards have delivered, shard by shard. */
  const drain = (): void => {
    while (windows.every((w, j) => w.length > 0 || done[j])) {
      if (windows.every((w) => w.length === 0)) break;
      windows.forEach((w, index) => {
        const window = w.shift();
        if (!window) return;
        for (const bytes of window) out.connections(bytes, () => returned[index]!.push(bytes));
        written.push(index);
      });
    }
    acknowledge();
  };

  options.signal?.addEventListener('abort', () => {
    workers.forEach((worker, index) => {
      if (!done[index]) worker.postMessage(STOP);
    });
  });

  const runs = Array.from({ length: jobs }, (_, index) => {
    const job: ShardJob = {
      inputs,
      options: {
        stuckAfter: options.stuckAfter ?? DEFAULTS.stuckAfter,
        timeWait: options.timeWait ?? DEFAULTS.timeWait,
        maxLive: Math.max(1, Math.ceil((options.maxLive ?? DEFAULTS.maxLive) / jobs)),
        maxRecord: options.maxRecord ?? DEFAULTS.maxRecord,
      },
      shard: { index, count: jobs },
      checkpointFrames: CHECKPOINT_FRAMES,
      progress: index === 0 && options.onProgress !== undefined,
    };
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(FROM_SOURCE ? SOURCE_BOOT : WORKER, { eval: FROM_SOURCE, workerData: job, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      workers.push(worker);
      worker.on('message', (message: ShardMessage) => {
        if (message.kind === 'window') {
          windows[index]!.push(message.chunks);
          drain();
        } else if (message.kind === 'progress') {
          options.onProgress?.({ ...message, connections: message.connections * jobs });
        } else if (message.kind === 'done') {
          done[index] = message;
          drain();
          resolve();
        } else {
          reject(message.capture
            ? new CaptureError(message.capture.kind as CaptureErrorKind, message.capture.file, message.capture.offset, message.capture.reason)
            : new Error(`shard ${index}: ${message.message}`));
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (!done[index]) reject(new Error(`shard ${index} stopped (exit code ${code}) before it finished`));
      });
    });
  });
  await Promise.all(runs);
  drain();

  const results = done as Extract<ShardMessage, { kind: 'done' }>[];
  for (const r of results) for (const bytes of r.chunks) out.connections(bytes, () => {});
  const findings = new FindingsAggregator({ stuckAfter: options.stuckAfter ?? DEFAULTS.stuckAfter });
  for (const r of results) findings.merge(r.findings);
  const summary = mergeSummaries(results.map((r) => r.summary), options.maxLive ?? DEFAULTS.maxLive);
  if (options.findings !== false) {
    for (const finding of findings.results()) {
      summary.findings++;
      out.finding(finding);
    }
  }
  out.summary(summary);
  return summary;
}

/** Packet counts, files, errors are the same in every shard (each read everything); connection counts add up. */
function mergeSummaries(shards: SummaryRecord[], maxLive: number): SummaryRecord {
  const first = shards[0]!;
  const statesAtEnd: Partial<Record<TcpState, number>> = {};
  let connections = 0;
  const connectionCounts = { evicted_connections: 0, one_sided_connections: 0, backward_timestamps: 0 };
  for (const s of shards) {
    connections += s.connections;
    for (const key of Object.keys(connectionCounts) as (keyof typeof connectionCounts)[]) connectionCounts[key] += s.counts[key] ?? 0;
    for (const [state, n] of Object.entries(s.states_at_end) as [TcpState, number][]) statesAtEnd[state] = (statesAtEnd[state] ?? 0) + n;
  }
  const counts = { ...first.counts, ...connectionCounts };
  const shardWarnings = new Set(shards.flatMap((s) => connectionWarnings(s.counts, `${Math.ceil(maxLive / shards.length)}`)));
  return {
    ...first,
    connections,
    states_at_end: statesAtEnd,
    findings: 0,
    counts,
    warnings: [...first.warnings.filter((w) => !shardWarnings.has(w)), ...connectionWarnings(counts, `${maxLive}, split over ${shards.length} shards`)],
  };
}
