import type { DestinationConfig } from '../config/config.ts';
import type { Db } from '../db/db.ts';
import type { Logger } from '../shared/logger.ts';
import type { MessageOptions } from './alert-text.ts';
import { createDatabaseSink, type DatabaseSink } from './database.ts';
import { createEmailSink } from './email.ts';
import type { AlertSink } from './sink.ts';
import { createSlackSink } from './slack.ts';

export type SinksConfig = {
  database: Db;
  destinations: readonly DestinationConfig[];
  message?: MessageOptions;
  logger?: Logger | undefined;
};

export type Sinks = { database: DatabaseSink; alerts: AlertSink[] };

/** One line per kind of destination: a new sink is its file and its line here. */
const ALERT_SINK_FACTORIES: { [K in DestinationConfig['kind']]: (config: Extract<DestinationConfig, { kind: K }>, options: { logger?: Logger | undefined; message?: MessageOptions }) => AlertSink } = {
  slack: (config, options) => createSlackSink(config, { message: options.message }),
  email: (config, options) => createEmailSink(config, { ...(options.logger ? { logger: options.logger } : {}), message: options.message }),
};

/** The database (always there: the record and the incidents) and every configured destination. */
export function createSinks(config: SinksConfig): Sinks {
  const options = { logger: config.logger, message: config.message ?? {} };
  const alerts = config.destinations.map((destination) => {
    const factory = ALERT_SINK_FACTORIES[destination.kind] as (config: DestinationConfig, o: typeof options) => AlertSink;
    return factory(destination, options);
  });
  return { database: createDatabaseSink(config.database), alerts };
}
