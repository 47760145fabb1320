/** A shard in a worker thread: messages from the reader in, answers out (chunks of output transferred, not copied). */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromShard, ShardJob, ToShard } from './protocol.js';
import { Shard } from './shard.js';

const port = parentPort!;
const shard = new Shard(workerData as ShardJob, (message: FromShard) => {
  const transfer = message.kind === 'applied' ? (message.window ?? []) : message.kind === 'done' ? message.chunks : [];
  port.postMessage(message, transfer.map((c) => c.buffer as ArrayBuffer));
});
port.on('message', (message: ToShard) => {
  if (shard.receive(message)) port.close();
});
