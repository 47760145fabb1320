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

/** A Redis connection as BullMQ wants it (no retry limit per command: a worker waits out a restart of Redis). */
export function connect(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}
