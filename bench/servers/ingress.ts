/** hookline's real ingress (startIngress), configured from the environment the orchestrator gives it. */
import { loadConfig } from '../../src/config/load-config.ts';
import { startIngress } from '../../src/ingress/start-ingress.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { exitOnStop, reportFailure, sendToParent, trackMemory } from './child-ipc.ts';

async function main(): Promise<void> {
  trackMemory();
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const ingress = await startIngress({ config, logger, metrics: createMetrics() });
  exitOnStop(() => ingress.close());
  sendToParent({ type: 'ready', port: ingress.port });
}

main().catch(reportFailure);
