import { Redis, type RedisOptions } from 'ioredis';

/**
 * What the fault scenarios' own probes connect with: one attempt, no retries, so a node that is
 * down answers at once instead of queueing the command; TLS with the test's CA and a password when given.
 */
export function probeOptions(port: number, options: { password?: string | undefined; caPem?: string | undefined } = {}): RedisOptions {
  return {
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...(options.password ? { password: options.password } : {}),
    ...(options.caPem !== undefined ? { tls: { ca: [options.caPem] } } : {}),
  };
}

/** A connection made for `use` and closed after it. */
export async function withClient<T>(options: RedisOptions, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(options);
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}
