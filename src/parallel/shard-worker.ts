/**
 * A worker thread that runs the whole pipeline on every input but tracks only
 * its shard of the connections, and sends back NDJSON bytes cut at shared
 * checkpoints, its findings aggregates and its summary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runPipelineTo } from '../analyze.js';
import { CaptureError } from '../capture/frame.js';
import { NdjsonEncoder } from '../report/ndjson-encoder.js';
import { FindingsAggregator } from '../rules/findings.js';
import { STOP, WINDOWS_IN_FLIGHT, type ShardJob, type ShardMessage, type Written } from './protocol.js';

const job = workerData as ShardJob;
const port = parentPort!;
const findings = new FindingsAggregator({ stuckAfter: job.options.stuckAfter });
/** The NDJSON chunks of the current window. */
let chunks: Uint8Array[] = [];
const encoder = new NdjsonEncoder((bytes) => chunks.push(bytes));

/** The window's chunks, handed over: the encoder never writes them again. */
function takeWindow(): Uint8Array[] {
  encoder.flush();
  const window = chunks;
  chunks = [];
  return window;
}
/** Flow control: windows sent and not yet written out by the main thread. */
let inFlight = 0;
let resume: (() => void) | undefined;
const stop = new AbortController();
port.on('message', (message: typeof STOP | Written) => {
  if (message === STOP) {
    stop.abort();
    resume?.();
    return;
  }
  for (const chunk of message.chunks) encoder.release(chunk);
  inFlight--;
  if (resume && inFlight < WINDOWS_IN_FLIGHT) {
    resume();
    resume = undefined;
  }
});

function send(message: ShardMessage): void {
  port.postMessage(message, message.kind === 'window' || message.kind === 'done' ? message.chunks.map((c) => c.buffer as ArrayBuffer) : []);
}

try {
  const summary = await runPipelineTo(
    job.inputs,
    {
      ...job.options,
      findings: false,
      signal: stop.signal,
      shard: job.shard,
      checkpointFrames: job.checkpointFrames,
      onCheckpoint: () => {
        send({ kind: 'window', chunks: takeWindow() });
        inFlight++;
      },
      pause: () => (inFlight >= WINDOWS_IN_FLIGHT ? new Promise<void>((r) => (resume = r)) : undefined),
      onProgress: job.progress ? (p) => send({ kind: 'progress', ...p }) : undefined,
    },
    {
      connection: (summary, log) => {
        findings.add(summary, log);
        encoder.connection(summary, log);
      },
      finding: () => {},
      summary: () => {},
    },
  );
  send({ kind: 'done', chunks: takeWindow(), findings: findings.snapshot(), summary });
  port.close();
} catch (error) {
  send({
    kind: 'failed',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    ...(error instanceof CaptureError ? { capture: { kind: error.kind, file: error.file, offset: error.offset, reason: error.reason } } : {}),
  });
}
