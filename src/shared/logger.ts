import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Defence in depth: request logs are built from an allow-list of fields (src/ingress/request-log.ts),
 * but anything that slips into a log object under these paths is censored as well.
 */
const REDACT_PATHS = [
  'headers.authorization',
  'headers["persona-signature"]',
  'headers["x-plextera-signature"]',
  'headers["x-signature-primary"]',
  'headers["x-signature-secondary"]',
  'req.headers.authorization',
  'req.headers["persona-signature"]',
  'req.headers["x-plextera-signature"]',
  'req.headers["x-signature-primary"]',
  'req.headers["x-signature-secondary"]',
  'query.token',
  'secret',
  'secrets',
  'token',
  'password',
  'webhookUrl',
  'smtpUrl',
];

export function createLogger(level: LevelWithSilent, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'hookline' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // Asynchronous writes: lines logged while a write is in flight go out together in the next one,
  // instead of one blocking write(2) per request on the event loop. pino flushes them at exit.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}
