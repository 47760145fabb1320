/**
 * `submit --redis URL <capture...>`: puts one run in the queue as a BullMQ
 * flow (an `analyze` job per capture file, a `merge` job depending on them
 * all), follows it to the end, and hands back the merged analysis. The
 * captures and the work directory are paths every worker reads and writes
 * the same way (shared storage mounted at the same place on every machine).
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FlowProducer, Queue, QueueEvents, type Job } from 'bullmq';
import { ANALYZE, ATTEMPTS, BACKOFF_MS, connect, MERGE, oncePerOutage, QUEUE, reachRedis, type AnalyzeJob, type JobResult, type MergeJob, type RunOptions } from './jobs.js';

export interface SubmitOptions {
  options: RunOptions;
  /** Directory for the run's files, on the shared storage. */
  workDir: string;
  /** Called as the run moves: files analyzed so far, and jobs a worker lost and another took over. */
  progress: (analyzed: number, files: number) => void;
  signal: AbortSignal;
  /** A line about Redis going away during the run (said once until it is back). */
  warn: (line: string) => void;
  /** Redis answered: the run is about to be queued. */
  reached: () => void;
}

/** A job of the run failed on every attempt: names the capture (or the merge). */
export class RunFailed extends Error {}

/** The run's outcome: the merged analysis (NDJSON), to read and remove. */
export interface SubmitResult {
  output: string;
}

/** Rejects once `signal` aborts (Ctrl-C), so that no wait outlasts it. */
function abortion(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const stop = (): void => reject(new DOMException('interrupted', 'AbortError'));
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

export async function submit(url: string, captures: string[], options: SubmitOptions): Promise<SubmitResult> {
  const aborted = abortion(options.signal);
  aborted.catch(() => {});
  // Nothing is made or queued unless Redis answers.
  await Promise.race([reachRedis(url, options.signal), aborted]);
  options.reached();
  mkdirSync(options.workDir, { recursive: true });
  const outage = oncePerOutage(options.warn);
  const connection = connect(url, outage.error).on('ready', outage.ready);
  // QueueEvents blocks on its own connection.
  const eventsConnection = connect(url, outage.error);
  const events = new QueueEvents(QUEUE, { connection: eventsConnection });
  const flows = new FlowProducer({ connection });
  events.on('error', outage.error);
  flows.on('error', outage.error);
  try {
    await Promise.race([events.waitUntilReady(), aborted]);
    const jobOptions = { attempts: ATTEMPTS, backoff: { type: 'exponential', delay: BACKOFF_MS }, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } };
    const children = captures.map((capture, i) => ({
      name: ANALYZE,
      queueName: QUEUE,
      data: { capture, output: path.join(options.workDir, `${i}-${path.basename(capture)}.ndjson`), options: options.options } satisfies AnalyzeJob,
      opts: { ...jobOptions, failParentOnFailure: true },
    }));
    const flow = await Promise.race([aborted, flows.add({
      name: MERGE,
      queueName: QUEUE,
      data: { output: path.join(options.workDir, 'merged.ndjson') } satisfies MergeJob,
      opts: jobOptions,
      children,
    })]);
    const ids = new Map(flow.children!.map((child) => [child.job.id!, (child.job as Job<AnalyzeJob>).data.capture]));
    const root = flow.job.id!;
    let analyzed = 0;
    options.progress(0, captures.length);
    const queue = new Queue(QUEUE, { connection });
    queue.on('error', outage.error);
    try {
      return await new Promise<SubmitResult>((resolve, reject) => {
        aborted.catch(reject);
        events.on('completed', ({ jobId, returnvalue }) => {
          if (ids.has(jobId)) options.progress(++analyzed, captures.length);
          if (jobId === root) resolve(returnvalue as unknown as JobResult);
        });
        // An attempt that failed is tried again; the run fails when a job is out of attempts (its parent then fails as well).
        events.on('failed', ({ jobId, failedReason }) => {
          if (!ids.has(jobId) && jobId !== root) return;
          void (async () => {
            const job = await queue.getJob(jobId);
            if (jobId !== root) {
              if (job && job.attemptsMade < ATTEMPTS) return;
              reject(new RunFailed(`${ids.get(jobId)}: its analysis failed on every one of ${ATTEMPTS} attempts: ${failedReason}`));
              return;
            }
            // The merge failed, or a child did and took it along: name the child's capture.
            for (const [id, capture] of ids) {
              const child = await queue.getJob(id);
              if (child && (await child.isFailed())) return reject(new RunFailed(`${capture}: its analysis failed on every one of ${ATTEMPTS} attempts: ${child.failedReason}`));
            }
            if (job && job.attemptsMade < ATTEMPTS) return;
            reject(new RunFailed(`the merge of the run's analyses failed on every one of ${ATTEMPTS} attempts: ${failedReason}`));
          })().catch(reject);
        });
      });
    } finally {
      await queue.close();
    }
  } finally {
    await events.close();
    await flows.close();
    eventsConnection.disconnect();
    connection.disconnect();
  }
}

/**
 * Removes a run's work directory; returns why it could not. A worker may
 * still be writing into it (a job retried after the run gave up on it):
 * the removal is tried again for about a second before it gives up.
 */
export function removeWork(workDir: string): string | undefined {
  try {
    rmSync(workDir, { recursive: true, force: true, maxRetries: 4, retryDelay: 100 });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
