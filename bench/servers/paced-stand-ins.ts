/**
 * The alert section's stand-ins, in their own process: a Slack incoming webhook that enforces
 * Slack's pace as Slack does, and an SMTP server that keeps each message's text.
 *
 * Slack: about one message per second with a short burst allowed (a token bucket of 2 tokens
 * refilled at 1 per second, like test/support/slack-stand-in.ts); a message over it is not posted
 * and gets HTTP 429 `{"ok":false,"error":"rate_limited"}` with `Retry-After: 1`. Accepted messages
 * are kept with their arrival time (epoch ms, stamped when the request body has arrived) and their
 * `text`, where hookline names every event key verbatim. Email: each message's plain-text part,
 * stamped when its DATA ended. The orchestrator reads both logs incrementally ('getAlertLog') and
 * starts every scenario afresh ('resetAlertLog': empty logs, a full bucket).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { StandInMessage } from '../lib/messages.ts';
import { onParentMessage, reportFailure, sendToParent } from './child-ipc.ts';

const PACE = { perSecond: 1, burst: 2 };
const RETRY_AFTER_SECONDS = '1';

function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

async function main(): Promise<void> {
  let slack: StandInMessage[] = [];
  let email: StandInMessage[] = [];
  let rateLimited = 0;
  let slackRequests = 0;
  let tokens = PACE.burst;
  let refilledAt = performance.now();

  const overPace = (): boolean => {
    const now = performance.now();
    tokens = Math.min(PACE.burst, tokens + ((now - refilledAt) / 1000) * PACE.perSecond);
    refilledAt = now;
    if (tokens >= 1) {
      tokens -= 1;
      return false;
    }
    return true;
  };

  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = epochMs();
      slackRequests++;
      if (overPace()) {
        rateLimited++;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': RETRY_AFTER_SECONDS });
        res.end('{"ok":false,"error":"rate_limited"}');
        return;
      }
      let text = '';
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown };
        text = typeof body.text === 'string' ? body.text : '';
      } catch {
        text = '';
      }
      slack.push({ at, text });
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
    closeTimeout: 500,
    onData(stream, _session, callback) {
      let at = Number.NaN;
      stream.on('end', () => {
        at = epochMs();
      });
      simpleParser(stream).then(
        (mail) => {
          email.push({ at: Number.isNaN(at) ? epochMs() : at, text: mail.text ?? '' });
          callback();
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));

  onParentMessage(async (message) => {
    switch (message.type) {
      case 'resetAlertLog':
        slack = [];
        email = [];
        rateLimited = 0;
        slackRequests = 0;
        tokens = PACE.burst;
        refilledAt = performance.now();
        sendToParent({ type: 'alertLogReset' });
        return;
      case 'getAlertLog':
        sendToParent({ type: 'alertLog', log: { slack: slack.slice(message.slackFrom), email: email.slice(message.emailFrom), rateLimited, slackRequests } });
        return;
      case 'stop':
        http.closeAllConnections();
        http.close();
        smtp.close(() => process.exit(0));
        setTimeout(() => process.exit(0), 2_000).unref();
        return;
      default:
        return;
    }
  });
  sendToParent({
    type: 'ready',
    port: null,
    slackUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/services/T000/B000/bench-paced`,
    smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
  });
}

main().catch(reportFailure);
