/**
 * Lean loopback stand-ins for Slack (HTTP, answers "ok") and SMTP (smtp-server, drains each message),
 * in their own process so their cost is not charged to the worker or to the orchestrator. They count
 * the alerts they accepted — a digest carries many: Slack's by the event keys its `text` names,
 * email's by its X-Hookline-Digest header — and keep nothing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { messageTokens } from '../../test/support/alert-keys.ts';
import { onParentMessage, reportFailure, sendToParent } from './child-ipc.ts';

async function main(): Promise<void> {
  let slack = 0;
  let email = 0;
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      slack += slackAlerts(Buffer.concat(chunks).toString('utf8'));
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
      let head = '';
      stream.on('data', (chunk: Buffer) => {
        if (head.length < 16_384) head += chunk.toString('latin1');
      });
      stream.on('end', () => {
        const digest = /^X-Hookline-Digest:\s*(\d+)/im.exec(head.split(/\r?\n\r?\n/)[0] ?? '');
        email += digest ? Number(digest[1]) : 1;
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

// Every provider of the bench mix, GitHub included: a digest naming its events counts them too.
const KEY = /^(github|persona|personaclick|primer|plextera|reachfive):\S+$/;

/** Distinct event keys named in a message's `text`: 1 for a single alert, n for a digest of n. */
function slackAlerts(body: string): number {
  let text = '';
  try {
    text = String((JSON.parse(body) as { text?: unknown }).text ?? '');
  } catch {
    return 1;
  }
  const keys = new Set(messageTokens(text).flatMap(({ token }) => (KEY.test(token) ? [token] : [])));
  return Math.max(1, keys.size);
}

main().catch(reportFailure);
