/**
 * hookline's real workers (startWorkers), started on the orchestrator's 'go' so that start-up and
 * migrations are not timed. The Slack rate limit is lifted: the stand-in is not Slack.
 * With the embedded database the orchestrator cannot reach the rows itself, so it asks here.
 */
import { loadConfig } from '../../src/config/load-config.ts';
import { openDb } from '../../src/db/open-db.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { startWorkers, type RunningWorkers } from '../../src/workers/start-workers.ts';
import { onParentMessage, reportFailure, sendToParent, trackMemory } from './child-ipc.ts';

async function main(): Promise<void> {
  trackMemory();
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const metrics = createMetrics();
  const db = await openDb(config.database, logger);
  let workers: RunningWorkers | undefined;
  onParentMessage(async (message) => {
    switch (message.type) {
      case 'go':
        workers = await startWorkers({ config, logger, metrics, db });
        sendToParent({ type: 'started' });
        return;
      case 'query':
        try {
          const result = await db.query(message.text, message.params);
          sendToParent({ type: 'queryResult', id: message.id, rows: result.rows });
        } catch (error) {
          sendToParent({ type: 'queryResult', id: message.id, rows: [], error: String(error) });
        }
        return;
      case 'stop':
        await workers?.close().catch(() => undefined);
        await db.close().catch(() => undefined);
        process.exit(0);
      default:
        return;
    }
  });
  sendToParent({ type: 'ready', port: null });
}

main().catch(reportFailure);
