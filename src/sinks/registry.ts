import type { EmailConfig, SlackConfig } from '../config/config.ts';
import type { Db } from '../db/db.ts';
import type { Logger } from '../shared/logger.ts';
import { createDatabaseSink } from './database.ts';
import { createEmailSink } from './email.ts';
import type { Sink } from './sink.ts';
import { createSlackSink } from './slack.ts';

export type SinksConfig = {
  database: Db;
  slack?: SlackConfig | undefined;
  email?: EmailConfig | undefined;
  logger?: Logger | undefined;
};

/** The configured sinks, in a fixed order; the database is always one of them. */
export function createSinks(config: SinksConfig): Sink[] {
  const sinks: Sink[] = [createDatabaseSink(config.database)];
  if (config.slack) sinks.push(createSlackSink(config.slack));
  if (config.email) sinks.push(createEmailSink(config.email, { logger: config.logger }));
  return sinks;
}
