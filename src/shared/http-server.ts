import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RunningServer = { port: number; close(): Promise<void> };

/** An HTTP server with timeouts against slow clients and a bounded graceful close. */
/** Slow clients must not hold sockets: headers within 10 s, the whole request (body too) within 30 s. */
export const CLIENT_TIMEOUTS = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 };

export async function serve(
  listener: RequestListener,
  options: { port: number; host: string; shutdownTimeoutMs: number; clientTimeouts?: typeof CLIENT_TIMEOUTS },
): Promise<RunningServer> {
  const timeouts = options.clientTimeouts ?? CLIENT_TIMEOUTS;
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // Node checks those timeouts only this often (30 s by default), which would let a slow client
      // hold its socket three times longer than the timeout says.
      connectionsCheckingInterval: Math.min(1_000, timeouts.headersTimeoutMs),
    },
    listener,
  );
  server.keepAliveTimeout = 5_000;
  await listen(server, options.port, options.host);
  return {
    port: (server.address() as AddressInfo).port,
    close: () => closeServer(server, options.shutdownTimeoutMs),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
