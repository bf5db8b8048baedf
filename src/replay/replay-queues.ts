import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createToolRedis } from '../shared/redis.ts';
import type { RedisTarget } from '../shared/redis-topology.ts';
import { SINK_KINDS } from '../sinks/sink.ts';
import { INGEST_QUEUE, deliveryQueueName } from '../queue/contract.ts';
import type { ReplayQueues } from './dead-letters.ts';

export type OpenReplayQueues = ReplayQueues & {
  connection: Redis;
  /** Every queue, ingest first: for Bull Board and counts. */
  all: readonly Queue[];
  close(): Promise<void>;
};

/**
 * Handles on the ingest queue, every kind's shorthand delivery queue (configured or not: a sink
 * switched off may still hold dead letters from before) and the configured routes' queues. Commands fail after one retry instead of waiting out
 * a Redis outage, so the status page and the CLI answer with an error rather than hang.
 */
export function openReplayQueues(redis: RedisTarget, prefix: string, destinationIds: readonly string[] = []): OpenReplayQueues {
  const connection = createToolRedis(redis);
  connection.on('error', () => undefined); // surfaced by the failing command instead
  const ingest = new Queue(INGEST_QUEUE, { connection, prefix });
  const ids = [...new Set([...SINK_KINDS, ...destinationIds])];
  const deliveries = new Map<string, Queue>(ids.map((id) => [id, new Queue(deliveryQueueName(id), { connection, prefix })]));
  const all = [ingest, ...deliveries.values()];
  for (const queue of all) queue.on('error', () => undefined);
  let closing: Promise<void> | undefined;
  return {
    connection,
    ingest,
    deliveries,
    all,
    close() {
      closing ??= (async () => {
        await Promise.allSettled(all.map((queue) => queue.close()));
        await connection.quit().catch(() => connection.disconnect());
      })();
      return closing;
    },
  };
}
