/** `worker --redis URL`: takes analysis jobs of runs that `submit` queues, on any number of machines. */
import { defineCommand } from './command.js';
import { numberOption } from './common.js';
import { EXIT, say, shown, UsageError } from './io.js';
import { loadDistributed, redisUrl } from './distributed.js';
import { redactedUrl } from '../distributed/redis-url.js';

export const workerCommand = defineCommand({
  command: 'worker',
  describe: 'take the jobs of runs that `submit` queues on BullMQ over Redis, until Ctrl-C or SIGTERM (which let the jobs in hand finish)',
  positionals: (y) => y,
  options: {
    redis: { type: 'string', demandOption: true, describe: 'Redis URL (redis://host:6379, rediss:// for TLS)' },
    concurrency: { default: 1, coerce: numberOption('concurrency', 'a whole number', { min: 1, max: 256, whole: true }), describe: 'jobs taken at once (one per core is the most that helps)' },
    'lock-timeout': {
      default: 30,
      coerce: numberOption('lock-timeout', 'a number of seconds', { min: 1, max: 86400 }),
      describe: 'seconds a job may go without its worker renewing its lock before another worker takes it over (a worker that died)',
    },
  } as const,
  run: async ({ redis, concurrency, lockTimeout }, io) => {
    const url = redisUrl(redis);
    const { runWorker } = await loadDistributed(() => import('../distributed/worker.js'), 'worker');
    try {
      await runWorker(url, { concurrency, lockTimeout, log: (line) => say(shown(line)) }, io.signal);
    } catch (error) {
      throw new UsageError(`cannot work for ${redactedUrl(url)}: ${(error as Error).message}`);
    }
    return EXIT.ok;
  },
});
