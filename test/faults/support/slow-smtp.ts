import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';

/**
 * An SMTP server that takes every message, then answers its DATA only after `delayMs`: a send that
 * lasts that long. `arrivals` stamps each message as it arrives (a second run of the same job shows
 * as a second arrival even while the first is still unanswered); `accepted` once answered 250.
 */
export class SlowSmtp {
  readonly arrivals: { at: number; subject: string }[] = [];
  accepted = 0;
  delayMs: number;
  port = 0;
  private server: SMTPServer | undefined;

  constructor(delayMs: number) {
    this.delayMs = delayMs;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 500,
      onData: (stream: SMTPServerDataStream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          this.arrivals.push({ at: Date.now(), subject: /^Subject: (.*)$/m.exec(text)?.[1] ?? '' });
          setTimeout(() => {
            this.accepted += 1;
            callback();
          }, this.delayMs);
        });
      },
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
