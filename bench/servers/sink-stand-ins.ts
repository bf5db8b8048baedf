/**
 * Lean loopback stand-ins for Slack (HTTP, answers "ok") and SMTP (smtp-server, drains each message),
 * in their own process so their cost is not charged to the worker or to the orchestrator. They count
 * what they accepted; unlike test/support's stand-ins they neither keep nor parse the messages.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { onParentMessage, reportFailure, sendToParent } from './child-ipc.ts';

async function main(): Promise<void> {
  let slack = 0;
  let email = 0;
  const http = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      slack++;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  http.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        email++;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));

  onParentMessage(async (message) => {
    if (message.type === 'getCounts') sendToParent({ type: 'counts', slack, email });
    if (message.type === 'stop') {
      http.closeAllConnections();
      http.close();
      smtp.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 2_000).unref();
    }
  });
  sendToParent({
    type: 'ready',
    port: null,
    slackUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/services/T000/B000/bench`,
    smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
  });
}

main().catch(reportFailure);
