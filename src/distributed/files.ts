/**
 * What a worker's jobs do, without the queue: one capture file analyzed into
 * its NDJSON analysis (with its merge state), and analyses merged into one.
 * A worker runs them job after job in one process; the merge bench runs them
 * the same way.
 */
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { mergeAnalyses } from '../merge/merge.js';
import { runSharded } from '../parallel/sharded.js';
import { NdjsonEncoder } from '../report/ndjson-encoder.js';
import type { RunOptions } from './jobs.js';

/** Analyzes `capture` as `analyze --format ndjson` does, into `output`. */
export async function analyzeFile(capture: string, output: string, options: RunOptions): Promise<void> {
  await writeWhole(output, async (write, room) => {
    const encoder = new NdjsonEncoder((bytes) => write(bytes));
    await runSharded([capture], { ...options, pause: room }, 1, {
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
}

/** Joins per-file analyses, in any order, into `output`, as `merge` does. */
export async function mergeFiles(analyses: string[], output: string): Promise<void> {
  await writeWhole(output, async (write, room) => {
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
}

/**
 * Writes `file` through a temporary file beside it, renamed once complete,
 * so a job done twice leaves one whole file. `room` lets the writer wait for
 * the disk, and gives the event loop a turn between chunks, so the lock on a
 * job is renewed during a long one.
 */
async function writeWhole(file: string, make: (write: (bytes: Uint8Array) => void, room: () => Promise<void>) => Promise<void>): Promise<void> {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  const out = createWriteStream(temporary);
  try {
    await make(
      // A copy: the analysis reuses its chunk once `write` returns.
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
