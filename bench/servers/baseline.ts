/**
 * The baseline: a bare Express 5 app that reads the raw body and answers 202, doing nothing else.
 * Same HTTP server settings (src/shared/http-server.ts) and the same Express settings as the ingress.
 */
import express from 'express';
import { serve } from '../../src/shared/http-server.ts';
import { exitOnStop, reportFailure, sendToParent, trackMemory } from './child-ipc.ts';

async function main(): Promise<void> {
  trackMemory();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.post('/webhooks/:provider', express.raw({ type: () => true, limit: 1_048_576, inflate: false }), (req, res) => {
    const length = Buffer.isBuffer(req.body) ? req.body.length : 0;
    res.status(202).json({ status: 'accepted', bytes: length });
  });
  const server = await serve(app, { port: 0, host: '127.0.0.1', shutdownTimeoutMs: 2_000 });
  exitOnStop(() => server.close());
  sendToParent({ type: 'ready', port: server.port });
}

main().catch(reportFailure);
