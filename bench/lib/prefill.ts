import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { dedupIdOf } from '../../src/ingress/event-store.ts';
import { INGEST_JOB_OPTIONS, INGEST_QUEUE, type IngestJobData } from '../../src/queue/contract.ts';
import { generateRequests, rawEventOf } from '../load/payloads.ts';
import { QUEUE_PREFIX } from './env.ts';

const CHUNK = 1_000;
const IN_FLIGHT = 4;
const DEDUP_TTL_MS = 7 * 86_400 * 1000;

/**
 * Puts `count` unique events into the ingest queue as the ingress stores them (same job options, job
 * ids and deduplication ids), in addBulk chunks of 1000. Returns the event keys.
 */
export async function prefillIngest(connection: Redis, count: number, runTag: string): Promise<string[]> {
  const queue = new Queue<IngestJobData>(INGEST_QUEUE, { connection, prefix: QUEUE_PREFIX, defaultJobOptions: INGEST_JOB_OPTIONS });
  const keys: string[] = [];
  const receivedAt = new Date().toISOString();
  let offset = 0;
  const worker = async () => {
    while (offset < count) {
      const size = Math.min(CHUNK, count - offset);
      const tag = `${runTag}_${offset.toString(36)}_`;
      offset += size;
      const events = generateRequests({ count: size, runTag: tag, sign: false }).map((request) => rawEventOf(request, receivedAt));
      for (const event of events) keys.push(event.key);
      await queue.addBulk(
        events.map((event) => ({
          name: event.provider,
          data: event,
          opts: { jobId: `${event.provider}-${randomUUID()}`, deduplication: { id: dedupIdOf(event.key), ttl: DEDUP_TTL_MS } },
        })),
      );
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const waiting = await queue.getWaitingCount();
  await queue.close();
  if (waiting !== count) throw new Error(`prefill: ${waiting} jobs waiting, expected ${count}`);
  return keys;
}
