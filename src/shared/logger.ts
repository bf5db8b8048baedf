import { pino, type Logger, type LevelWithSilent } from 'pino';
import { PROVIDERS } from '../providers/registry.ts';

export type { Logger };

/**
 * Defence in depth: request logs are built from an allow-list of fields (src/ingress/request-log.ts),
 * but anything that slips into a log object under these paths is censored as well: every header and
 * query parameter a provider's auth scheme carries credentials in (src/providers), and our own names.
 */
const REDACT_PATHS = [
  ...PROVIDERS.flatMap((provider) =>
    provider.auth.secretHeaders.flatMap((name) => [`headers[${JSON.stringify(name)}]`, `req.headers[${JSON.stringify(name)}]`]),
  ),
  ...new Set(PROVIDERS.flatMap((provider) => provider.auth.secretQuery.map((name) => `query[${JSON.stringify(name)}]`))),
  'headers.authorization',
  'req.headers.authorization',
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
