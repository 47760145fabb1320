/**
 * Output back-pressure. A pipe to a slower reader (`| gzip`, `| ssh ...`)
 * makes stdout buffer whatever it is given; the pipeline asks here between
 * chunks of input and waits while the stream has more queued than it wants.
 */
import { once } from 'node:events';

export function roomIn(out: NodeJS.WritableStream): Promise<void> | undefined {
  const stream = out as NodeJS.WritableStream & { writableNeedDrain?: boolean };
  return stream.writableNeedDrain ? once(stream, 'drain').then(() => undefined) : undefined;
}
