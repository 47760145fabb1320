/**
 * One shard: tracks the connections of its share of the flow-hash space
 * from the decoded packets the reader puts in shared memory, and answers
 * with NDJSON bytes cut at the shared checkpoints, its findings aggregates
 * and its connection counts. Every packet moves its clock, so TIME_WAIT ends
 * at the same moment as in one thread. It runs in a worker thread
 * (shard-worker.ts), or in the reader's thread for small work (tests, many
 * small files in one process).
 */
import { ConnectionStage } from '../analyze.js';
import { PacketKind, PacketView } from '../decode/packet.js';
import { MergeCollector } from '../merge/collector.js';
import { NdjsonEncoder } from '../report/ndjson-encoder.js';
import { packetTs, PACKET_SLOTS, SHARD_SLOT, FILE_SLOT, slotOf, unpackPacket } from './packed-packets.js';

const KIND = slotOf('kind');
import type { FromShard, ShardJob, ToShard } from './protocol.js';

export class Shard {
  private chunks: Uint8Array[] = [];
  private readonly encoder = new NdjsonEncoder((bytes) => this.chunks.push(bytes));
  private readonly collector: MergeCollector | undefined;
  private readonly stage: ConnectionStage;
  private readonly batches = new Map<number, Float64Array>();
  private readonly pkt = new PacketView();

  constructor(
    private readonly job: ShardJob,
    private readonly send: (message: FromShard) => void,
  ) {
    this.collector = job.mergeState ? new MergeCollector(job.files) : undefined;
    this.stage = new ConnectionStage({ ...job.options, collector: this.collector }, (summary, log) => this.encoder.connection(summary, log), true);
  }

  /** Handles one message from the reader; true once the shard is done. */
  receive(message: ToShard): boolean {
    try {
      if (message.kind === 'batch') {
        if (message.buffer) this.batches.set(message.id, new Float64Array(message.buffer));
        for (const [from, to] of message.gaps ?? []) this.stage.gaps.add(from, to);
        this.apply(this.batches.get(message.id)!, message.count);
        if (message.advanceTo !== undefined) this.stage.tracker.advance(message.advanceTo);
        this.send({ kind: 'applied', id: message.id, window: message.checkpoint ? this.take() : undefined, connections: this.stage.connections + this.stage.tracker.live });
        return false;
      }
      if (message.kind === 'reuse') {
        for (const chunk of message.chunks) this.encoder.release(chunk);
        return false;
      }
      const stage = this.stage;
      stage.tracker.finish(message.lastTs ?? undefined);
      const settled = this.collector && stage.settledState();
      const merge = settled && { finalTally: settled.tally, finalFindings: settled.findings, collected: this.collector!.state() };
      this.send({ kind: 'done', chunks: this.take(), findings: stage.findings()!.snapshot(), tally: stage.tally(), merge });
    } catch (error) {
      this.send({ kind: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
    return true;
  }

  /** The chunks encoded since the last call, handed over: the encoder never writes them again. */
  private take(): Uint8Array[] {
    this.encoder.flush();
    const taken = this.chunks;
    this.chunks = [];
    return taken;
  }

  private apply(f: Float64Array, count: number): void {
    const tracker = this.stage.tracker;
    const me = this.job.shard.index;
    const pkt = this.pkt;
    for (let i = 0; i < count; i++) {
      const at = i * PACKET_SLOTS;
      if (f[at + SHARD_SLOT] !== me) {
        // Another shard's packet moves the clock, as it does in one thread: a second copy (`-i any`) does not.
        if (f[at + KIND] === PacketKind.Tcp) tracker.advance(packetTs(f, i));
        continue;
      }
      unpackPacket(f, i, pkt);
      tracker.onPacket(pkt, this.job.files[f[at + FILE_SLOT]!]);
    }
  }
}
