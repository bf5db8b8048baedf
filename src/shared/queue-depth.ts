import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_STATES, type QueueDepth, type QueueDepthSource } from './metrics.ts';
import { withDeadline } from './deadline.ts';

export type QueueDepthOptions = {
  connection: Redis;
  prefix: string;
  queueNames: readonly string[];
  /** Scrapes within this long share one reading, so many scrapers do not multiply Redis calls. */
  cacheMs?: number;
  /** A scrape must not hang on an unreachable Redis. */
  timeoutMs?: number;
};

const DEFAULT_CACHE_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 1_000;

/** Job counts per queue and state, read through BullMQ and cached briefly. */
export function createQueueDepthSource(options: QueueDepthOptions): { read: QueueDepthSource; close(): Promise<void> } {
  const queues = options.queueNames.map((name) => new Queue(name, { connection: options.connection, prefix: options.prefix }));
  for (const queue of queues) queue.on('error', () => undefined);
  const cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let cached: { at: number; reading: Promise<readonly QueueDepth[]> } | undefined;

  async function readAll(): Promise<readonly QueueDepth[]> {
    const counts = await Promise.all(queues.map((queue) => queue.getJobCounts(...QUEUE_STATES)));
    return queues.flatMap((queue, index) =>
      QUEUE_STATES.map((state) => ({ queue: queue.name, state, jobs: counts[index]?.[state] ?? 0 })),
    );
  }

  return {
    read() {
      const now = Date.now();
      if (!cached || now - cached.at >= cacheMs) {
        const reading = withDeadline(readAll(), timeoutMs, 'queue counts');
        cached = { at: now, reading };
        // A failed reading is not cached: the next scrape tries again.
        reading.catch(() => {
          if (cached?.reading === reading) cached = undefined;
        });
      }
      return cached.reading;
    },
    async close() {
      await Promise.allSettled(queues.map((queue) => queue.close()));
    },
  };
}
