import type { SpoolConfig } from '../../config/config.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Metrics } from '../../shared/metrics.ts';
import type { EventStore } from '../event-store.ts';
import { SpoolLog } from './spool-log.ts';
import { createSpoolingEventStore, type SpoolingEventStore } from './spooling-event-store.ts';

/** Opens (and locks) the spool directory and wraps the queue store with it. */
export async function openSpoolingEventStore(options: {
  inner: EventStore;
  config: SpoolConfig;
  probe: () => Promise<unknown>;
  logger: Logger;
  metrics: Metrics;
}): Promise<SpoolingEventStore> {
  const { config, logger } = options;
  const { log, skippedBytes } = await SpoolLog.open({ dir: config.dir, maxBytes: config.maxBytes });
  if (skippedBytes > 0) logger.warn({ skippedBytes, dir: config.dir }, 'spool: skipped torn or damaged bytes left by an earlier crash');
  logger.info({ dir: config.dir, maxBytes: config.maxBytes, events: log.stats().events }, 'spool ready');
  options.metrics.spoolMaxBytes.set(config.maxBytes);
  return createSpoolingEventStore({
    inner: options.inner,
    spool: log,
    probe: options.probe,
    logger,
    report: (stats) => {
      options.metrics.spoolEvents.set(stats.events);
      options.metrics.spoolBytes.set(stats.bytes);
    },
  });
}
