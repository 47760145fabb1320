/**
 * A shard worker: tracks the connections of its share of the flow-hash
 * space from the decoded packets the reading thread puts in shared memory,
 * and sends back NDJSON bytes cut at the shared checkpoints, its findings
 * aggregates and its connection counts. Every packet moves its clock, so
 * TIME_WAIT ends at the same moment as in one thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConnectionStage } from '../analyze.js';
import { PacketView } from '../decode/packet.js';
import { NdjsonEncoder } from '../report/ndjson-encoder.js';
import { packetTs, PACKET_SLOTS, SHARD_SLOT, FILE_SLOT, unpackPacket } from './packed-packets.js';
import type { FromShard, ShardJob, ToShard } from './protocol.js';

const job = workerData as ShardJob;
const port = parentPort!;
const me = job.shard.index;
let chunks: Uint8Array[] = [];
const encoder = new NdjsonEncoder((bytes) => chunks.push(bytes));
const stage = new ConnectionStage(job.options, (summary, log) => encoder.connection(summary, log), true);
const batches = new Map<number, Float64Array>();
const pkt = new PacketView();

/** The chunks encoded since the last call, handed over: the encoder never writes them again. */
function take(): Uint8Array[] {
  encoder.flush();
  const taken = chunks;
  chunks = [];
  return taken;
}

function send(message: FromShard): void {
  const transfer = message.kind === 'applied' ? (message.window ?? []) : message.kind === 'done' ? message.chunks : [];
  port.postMessage(message, transfer.map((c) => c.buffer as ArrayBuffer));
}

function apply(f: Float64Array, count: number): void {
  const tracker = stage.tracker;
  for (let i = 0; i < count; i++) {
    const at = i * PACKET_SLOTS;
    if (f[at + SHARD_SLOT] !== me) {
      tracker.advance(packetTs(f, i));
      continue;
    }
    unpackPacket(f, i, pkt);
    tracker.onPacket(pkt, job.files[f[at + FILE_SLOT]!]);
  }
}

port.on('message', (message: ToShard) => {
  try {
    if (message.kind === 'batch') {
      if (message.buffer) batches.set(message.id, new Float64Array(message.buffer));
      for (const [from, to] of message.gaps ?? []) stage.gaps.add(from, to);
      apply(batches.get(message.id)!, message.count);
      if (message.advanceTo !== undefined) stage.tracker.advance(message.advanceTo);
      send({ kind: 'applied', id: message.id, window: message.checkpoint ? take() : undefined, connections: stage.connections + stage.tracker.live });
    } else if (message.kind === 'reuse') {
      for (const chunk of message.chunks) encoder.release(chunk);
    } else {
      stage.tracker.finish(message.lastTs ?? undefined);
      send({ kind: 'done', chunks: take(), findings: stage.findings!.snapshot(), tally: stage.tally() });
      port.close();
    }
  } catch (error) {
    send({ kind: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
