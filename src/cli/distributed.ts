/**
 * worker and submit run on BullMQ and ioredis, which the package names as
 * optional peer dependencies: an installation that never runs across
 * machines has no Redis client. They are loaded when one of these commands
 * runs, and their absence is said plainly.
 */
import { checkRedisUrl } from '../distributed/redis-url.js';
import { shown, UsageError } from './io.js';

export async function loadDistributed<T>(load: () => Promise<T>, command: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /bullmq|ioredis/.test((error as Error).message)) {
      throw new UsageError(`${command} runs on BullMQ over Redis: install its packages beside tcp-lifecycle (npm install bullmq@6 ioredis@5)`);
    }
    throw error;
  }
}

/** A Redis URL as given, checked. */
export function redisUrl(text: string): string {
  const url = checkRedisUrl(text);
  if (!url) throw new UsageError(`--redis ${shown(text)}: not a Redis URL (redis://host:6379)`);
  return url;
}
