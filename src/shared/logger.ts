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
  return pino(options, destination ?? stdoutDestination());
}

/**
 * Asynchronous writes: lines logged while a write is in flight go out together in the next one,
 * instead of one blocking write(2) per request on the event loop. pino flushes them at exit.
 *
 * Each line is handed over as bytes: in its default (string) mode sonic-boom appends a line to the
 * pending text and then measures that text with Buffer.byteLength, which flattens the whole of it,
 * up to 16 KB copied for every line logged while a write is in flight (4.8 KB allocated per request
 * line under load, more than the line itself twenty times over). In buffer mode it keeps the lines
 * as a list and joins them once per write.
 */
function stdoutDestination(): pino.DestinationStream & Omit<BufferDestination, 'write'> {
  // In buffer mode sonic-boom's write takes bytes; its types only know the string form.
  const boom: BufferDestination = pino.destination({ dest: 1, sync: false, contentMode: 'buffer' }) as unknown as BufferDestination;
  return {
    write: (line: string) => boom.write(Buffer.from(line, 'utf8')),
    flush: (callback?: (error?: Error) => unknown) => boom.flush(callback),
    flushSync: () => boom.flushSync(),
  };
}

type BufferDestination = {
  write(chunk: Buffer): boolean;
  flush(callback?: (error?: Error) => unknown): void;
  flushSync(): void;
};
