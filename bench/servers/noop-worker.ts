/** The queue's ceiling: a plain BullMQ worker on the ingest queue whose processor does nothing. */
import { Worker } from 'bullmq';
import { loadConfig } from '../../src/config/load-config.ts';
import { createWorkerRedis } from '../../src/shared/redis.ts';
import { INGEST_QUEUE } from '../../src/queue/contract.ts';
import { onParentMessage, reportFailure, sendToParent, trackMemory } from './child-ipc.ts';

async function main(): Promise<void> {
  trackMemory();
  const config = loadConfig(process.env);
  const connection = createWorkerRedis(config.redisUrl);
  await connection.ping();
  let worker: Worker | undefined;
  onParentMessage(async (message) => {
    if (message.type === 'go') {
      worker = new Worker(INGEST_QUEUE, async () => undefined, {
        connection,
        prefix: config.queuePrefix,
        concurrency: config.workerConcurrency,
        maxStalledCount: 2,
      });
      sendToParent({ type: 'started' });
    } else if (message.type === 'stop') {
      await worker?.close();
      connection.disconnect();
      process.exit(0);
    }
  });
  sendToParent({ type: 'ready', port: null });
}

main().catch(reportFailure);
