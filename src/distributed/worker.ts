/**
 * `worker --redis URL`: takes jobs of runs from the queue, on any number of
 * machines. An `analyze` job analyzes one capture file as `analyze --format
 * ndjson` does and writes it beside the run's other files; a `merge` job
 * joins its children's analyses (files.ts). A worker holds a lock on its job
 * that it renews while it works: one that dies (or stops) lets the lock run
 * out, and another worker takes the job over.
 */
import { once } from 'node:events';
import { Worker, type Job } from 'bullmq';
import { analyzeFile, mergeFiles } from './files.js';
import { ANALYZE, connect, MERGE, oncePerOutage, QUEUE, reachRedis, type AnalyzeJob, type JobResult, type MergeJob } from './jobs.js';
import { redactedUrl } from './redis-url.js';

export interface WorkerOptions {
  /** Jobs taken at once (one per core is the most that helps). */
  concurrency: number;
  /** Seconds a job may go without its worker renewing its lock before another worker takes it over. */
  lockTimeout: number;
  /** One line per job begun and ended (stderr). */
  log: (line: string) => void;
}

/**
 * Runs until `signal` aborts, then finishes the jobs in hand and closes.
 * Rejects at once when Redis does not answer at the start; once working, a
 * worker waits out Redis going away, saying so once.
 */
export async function runWorker(url: string, options: WorkerOptions, signal: AbortSignal): Promise<void> {
  await reachRedis(url, signal);
  if (signal.aborted) return;
  const outage = oncePerOutage(options.log);
  const connection = connect(url, outage.error).on('ready', outage.ready);
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
  worker.on('error', outage.error);
  const stopped = signal.aborted ? Promise.resolve() : once(signal, 'abort').then(() => {});
  await Promise.race([worker.waitUntilReady(), stopped]);
  if (!signal.aborted) options.log(`waiting for jobs on ${redactedUrl(url)}`);
  await stopped;
  if (connection.status === 'ready') await worker.close();
  else {
    // Redis is away: no job's end could be recorded, and a close that waits for it would never end. Another worker takes the jobs over.
    options.log('Redis is away: stopping without waiting for the jobs in hand');
    const closing = worker.close(true).catch(() => {});
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    void worker.disconnect().catch(() => {});
  }
  connection.disconnect();
}

function describe(job: Job<AnalyzeJob | MergeJob>): string {
  return 'capture' in job.data ? job.data.capture : job.data.output;
}

async function analyzeJob(job: Job<AnalyzeJob>, options: WorkerOptions): Promise<JobResult> {
  const { capture, output, options: run } = job.data;
  options.log(`analyzing ${capture}`);
  await analyzeFile(capture, output, run);
  options.log(`analyzed ${capture}`);
  return { output };
}

async function mergeJob(job: Job<MergeJob>, options: WorkerOptions): Promise<JobResult> {
  const analyses = Object.values(await job.getChildrenValues<JobResult>()).map((r) => r.output);
  options.log(`merging ${analyses.length} analyses into ${job.data.output}`);
  await mergeFiles(analyses, job.data.output);
  options.log(`merged into ${job.data.output}`);
  return { output: job.data.output };
}
