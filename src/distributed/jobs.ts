/**
 * Runs across machines on BullMQ over Redis: what `submit` puts in the queue
 * and `worker` takes out. A run is a BullMQ flow: one `analyze` job per
 * capture file, each writing its NDJSON analysis (with its merge state) to a
 * work directory on storage every machine shares, and a `merge` job, their
 * parent, that BullMQ starts once all of them are done, joining them into the
 * analysis of the whole capture in the same directory.
 */
import { Redis } from 'ioredis';

/** The queue of every run (a Redis key prefix keeps other users of the server apart). */
export const QUEUE = 'tcp-lifecycle';
export const ANALYZE = 'analyze';
export const MERGE = 'merge';

/** A job that fails is tried again by any worker, this many times in all, a second apart and then doubling. */
export const ATTEMPTS = 3;
export const BACKOFF_MS = 1000;

/** The analysis options a run carries to every worker. */
export interface RunOptions {
  stuckAfter: number;
  timeWait: number;
  maxLive: number;
  maxRecord: number;
}

export interface AnalyzeJob {
  /** Absolute path of the capture, the same on every machine. */
  capture: string;
  /** Where the worker writes the analysis (NDJSON with its merge state). */
  output: string;
  options: RunOptions;
}

export interface MergeJob {
  /** Where the worker writes the merged analysis. */
  output: string;
}

/** What a finished job returns. */
export interface JobResult {
  output: string;
}

/**
 * A Redis connection as BullMQ wants it (no retry limit per command: a
 * worker waits out a restart of Redis). Its errors while it reconnects go
 * to `error`: a connection without a listener has ioredis print each
 * attempt's stack trace.
 */
export function connect(url: string, error: (e: Error) => void): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false }).on('error', error);
}

/**
 * Checks that Redis answers at `url` before a run or a worker starts: one
 * attempt, no retries, so that a wrong URL, a server that is down or a
 * refused password is said at once instead of retried forever. Rejects with
 * the reason.
 */
export async function reachRedis(url: string, signal: AbortSignal): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 10_000, enableOfflineQueue: false });
  let last: Error | undefined;
  probe.on('error', (error: Error) => (last ??= error));
  const stop = (): void => probe.disconnect();
  signal.addEventListener('abort', stop, { once: true });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const reason = (last ?? (error as Error)).message;
    throw new Error(`cannot reach Redis: ${reason}`);
  } finally {
    signal.removeEventListener('abort', stop);
    probe.disconnect();
  }
}

/**
 * Messages about a connection that is down, each said once until the
 * connection works again (ioredis retries every two seconds at most).
 */
export function oncePerOutage(log: (line: string) => void): { error: (e: Error) => void; ready: () => void } {
  const said = new Set<string>();
  return {
    error: (e) => {
      if (said.has(e.message)) return;
      said.add(e.message);
      log(`Redis: ${e.message} (retrying)`);
    },
    ready: () => said.clear(),
  };
}
