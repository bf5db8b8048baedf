import { createProbeRedis, describeTopology, type RedisTarget } from '../shared/redis.ts';
import { CliError } from './cli-error.ts';

/**
 * BullMQ waits for a Redis that does not answer for as long as it takes; a command run by hand
 * should say so at once instead of hanging.
 */
export async function redisMustAnswer(redis: RedisTarget, hint: string): Promise<void> {
  const probe = createProbeRedis(redis);
  let cause: string | undefined;
  // ioredis rejects with "Connection is closed."; the reason (ECONNREFUSED…) comes as an 'error' event.
  probe.on('error', (error: Error) => (cause ??= error.message));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new CliError(`Redis at ${describeTopology(redis)} did not answer (${cause ?? (error instanceof Error ? error.message : String(error))}): ${hint}`);
  } finally {
    probe.disconnect();
  }
}
