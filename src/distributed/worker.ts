/**
 * `worker --redis URL`: takes jobs of runs from the queue, on any number of
 * machines. An `analyze` job analyzes one capture file as `analyze --format
 * ndjson` does and writes it beside the run's other files; a `merge` job
 * joins its children's analyses. A worker holds a lock on its job that it
 * renews while it works: one that dies (or stops) lets the lock run out, and
 * another worker takes the job over. Outputs are written through a temporary
 * file and a rename, so a job done twice leaves one whole file.
 */
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker, type Job } from 'bullmq';
import { mergeAnalyses } from '../merge/merge.js';
import { runSharded } from '../parallel/sharded.js';
import { NdjsonEncoder } from '../report/ndjson-encoder.js';
import { ANALYZE, connect, MERGE, QUEUE, type AnalyzeJob, type JobResult, type MergeJob } from './jobs.js';
import { redactedUrl } from './redis-url.js';

export interface WorkerOptions {
  /** Jobs taken at once (one per core is the most that helps). */
  concurrency: number;
  /** Seconds a job may go without its worker renewing its lock before another worker takes it over. */
  lockTimeout: number;
  /** One line per job begun and ended (stderr). */
  log: (line: string) => void;
}

/** Runs until `signal` aborts, then finishes the jobs in hand and closes. */
export async function runWorker(url: string, options: WorkerOptions, signal: AbortSignal): Promise<void> {
  const connection = connect(url);
  const lockDuration = Math.round(options.lockTimeout * 1000);
  const work = (job: Job<AnalyzeJob | MergeJob>): Promise<JobResult> => {
    if (job.name === ANALYZE) return analyzeJob(job as Job<AnalyzeJob>, options);
    if (job.name === MERGE) return mergeJob(job as Job<MergeJob>, options);
    throw new Error(`a job named ${job.name}, which this version does not know`);
  };
  const worker = new Worker<AnalyzeJob | MergeJob, JobResult>(QUEUE, work, {
    connection,
    concurrency: options.concurrency,
    lockDuration,
    // Look for jobs whose worker went away twice per lock period; a job found so twice is failed, then retried.
    stalledInterval: Math.max(500, Math.round(lockDuration / 2)),
    maxStalledCount: 2,
  });
  worker.on('failed', (job, error) => options.log(`${job?.name ?? 'job'} ${job ? describe(job) : ''} failed (attempt ${job?.attemptsMade ?? '?'}): ${error.message}`));
  worker.on('error', (error) => options.log(`error: ${error.message}`));
  await worker.waitUntilReady();
  options.log(`waiting for jobs on ${redactedUrl(url)}`);
  if (!signal.aborted) await once(signal, 'abort');
  await worker.close();
  connection.disconnect();
}

function describe(job: Job<AnalyzeJob | MergeJob>): string {
  return 'capture' in job.data ? job.data.capture : job.data.output;
}

async function analyzeJob(job: Job<AnalyzeJob>, options: WorkerOptions): Promise<JobResult> {
  const { capture, output, options: run } = job.data;
  options.log(`analyzing ${capture}`);
  await writeWhole(output, async (write, room) => {
    const encoder = new NdjsonEncoder((bytes) => write(bytes));
    await runSharded([capture], { ...run, pause: room }, 1, {
      connections: (bytes, written) => {
        write(bytes);
        written();
      },
      finding: (record) => encoder.record(record),
      mergeState: (record) => encoder.record(record),
      summary: (record) => encoder.record(record),
      room,
    });
    encoder.flush();
  });
  options.log(`analyzed ${capture}`);
  return { output };
}

async function mergeJob(job: Job<MergeJob>, options: WorkerOptions): Promise<JobResult> {
  const analyses = Object.values(await job.getChildrenValues<JobResult>()).map((r) => r.output);
  options.log(`merging ${analyses.length} analyses into ${job.data.output}`);
  await writeWhole(job.data.output, async (write, room) => {
    const encoder = new NdjsonEncoder((bytes) => write(bytes));
    await mergeAnalyses(analyses, {
      write: (bytes) => write(bytes),
      room,
      finding: (record) => encoder.record(record),
      mergeState: (record) => encoder.record(record),
      summary: (record) => encoder.record(record),
    }, () => {});
    encoder.flush();
  });
  options.log(`merged into ${job.data.output}`);
  return { output: job.data.output };
}

/**
 * Writes `file` through a temporary file beside it, renamed once complete.
 * `room` lets the writer wait for the disk, and gives the event loop a turn
 * between chunks, so the lock on the job is renewed during a long job.
 */
async function writeWhole(file: string, make: (write: (bytes: Uint8Array) => void, room: () => Promise<void>) => Promise<void>): Promise<void> {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  const out = createWriteStream(temporary);
  try {
    await make(
      (bytes) => void out.write(Buffer.from(bytes)),
      async () => {
        if (out.writableNeedDrain) await once(out, 'drain');
        else await yieldToEvents();
      },
    );
    out.end();
    await once(out, 'finish');
    renameSync(temporary, file);
  } catch (error) {
    out.destroy();
    rmSync(temporary, { force: true });
    throw error;
  }
}
