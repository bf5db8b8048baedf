import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SlackAnswer = { status: number; body?: string; headers?: Record<string, string>; hang?: boolean };
export type SlackRequest = { body: Record<string, unknown>; receivedAt: number };

/**
 * A local HTTP server standing in for a Slack incoming webhook. Answers come from a script (one per
 * request, in order), then `ok` for every request after.
 *
 * It enforces Slack's pace as Slack does: about one message per second with a short burst allowed
 * (a token bucket of `burst` tokens refilled at `perSecond`); a message over it gets HTTP 429 with
 * `Retry-After: 1` and `{"ok":false,"error":"rate_limited"}`, and is not posted.
 */
export class SlackStandIn {
  readonly requests: SlackRequest[] = [];
  private readonly script: SlackAnswer[] = [];
  private server: Server | undefined;
  url = '';
  /** How long every answer takes, as a slow Slack would (0: at once). */
  delayMs = 0;
  /** Slack's pace; `undefined` turns the limit off (for tests about other answers). */
  pace: { perSecond: number; burst: number } | undefined = { perSecond: 1, burst: 2 };
  /** Messages Slack refuses for their content (400 invalid_blocks), as it refuses a bad event. */
  refuse: ((body: Record<string, unknown>) => boolean) | undefined;
  /** Requests refused with 429 because they came faster than the pace. */
  rateLimited = 0;
  private tokens = 2;
  private refilledAt = Date.now();

  private overPace(): boolean {
    if (!this.pace) return false;
    const now = Date.now();
    this.tokens = Math.min(this.pace.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.pace.perSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return false;
    }
    return true;
  }

  /** The `text` of every message that reached the channel. */
  get texts(): string[] {
    return this.delivered.map((request) => (typeof request.body.text === 'string' ? request.body.text : ''));
  }

  /** Forgets what it received and any scripted answers not used yet. */
  reset(): void {
    this.requests.length = 0;
    this.script.length = 0;
    this.rateLimited = 0;
  }

  answerNext(...answers: SlackAnswer[]): void {
    this.script.push(...answers);
  }

  /** Requests that Slack answered 200, i.e. messages that reached the channel. */
  get delivered(): SlackRequest[] {
    return this.requests.filter((request) => (request as SlackRequest & { status?: number }).status === 200);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void readJson(req).then((body) => {
        const refused = this.refuse?.(body) === true;
        const scripted = refused ? { status: 400, body: 'invalid_blocks' } : this.script.shift();
        const limited = !scripted && this.overPace();
        if (limited) this.rateLimited += 1;
        const answer: SlackAnswer =
          scripted ??
          (limited
            ? { status: 429, body: '{"ok":false,"error":"rate_limited"}', headers: { 'retry-after': '1', 'content-type': 'application/json' } }
            : { status: 200, body: 'ok' });
        const record: SlackRequest & { status: number } = { body, receivedAt: Date.now(), status: answer.status };
        this.requests.push(record);
        if (answer.hang) return; // never answers: the sink's timeout must fire
        const respond = () => {
          res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
          res.end(answer.body ?? (answer.status === 200 ? 'ok' : 'error'));
        };
        if (this.delayMs > 0) setTimeout(respond, this.delayMs);
        else respond();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/services/T000/B000/test`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}
