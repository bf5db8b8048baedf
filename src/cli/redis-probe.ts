import { Redis } from 'ioredis';
import { CliError } from './cli-error.ts';

/**
 * BullMQ waits for a Redis that does not answer for as long as it takes; a command run by hand
 * should say so at once instead of hanging.
 */
export async function redisMustAnswer(redisUrl: string, hint: string): Promise<void> {
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3_000, retryStrategy: () => null });
  let cause: string | undefined;
  // ioredis rejects with "Connection is closed."; the reason (ECONNREFUSED…) comes as an 'error' event.
  probe.on('error', (error: Error) => (cause ??= error.message));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new CliError(`Redis at ${where(redisUrl)} did not answer (${cause ?? (error instanceof Error ? error.message : String(error))}): ${hint}`);
  } finally {
    probe.disconnect();
  }
}

/** Host and port only: a Redis URL may carry a password. */
function where(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(REDIS_URL)';
  }
}
