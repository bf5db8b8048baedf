import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';

export type SmtpFailure = { responseCode: number; message: string; at: 'rcpt' | 'data' };

/** A real SMTP server (smtp-server) on a free port; it keeps every message it accepts, parsed. */
export class SmtpStandIn {
  readonly messages: ParsedMail[] = [];
  private readonly failures: SmtpFailure[] = [];
  /** Messages refused for their content with 550, as a server refuses one bad message. */
  refuse: ((mail: ParsedMail) => boolean) | undefined;
  private server: SMTPServer | undefined;
  port = 0;

  failNext(...failures: SmtpFailure[]): void {
    this.failures.push(...failures);
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** `port` 0 picks a free one; a stopped stand-in can start again on its old port (`this.port`). */
  async start(port = 0): Promise<this> {
    const failAt = (stage: SmtpFailure['at']): Error | undefined => {
      const next = this.failures[0];
      if (!next || next.at !== stage) return undefined;
      this.failures.shift();
      return Object.assign(new Error(next.message), { responseCode: next.responseCode });
    };
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // stop() must not wait 30 s for a client's pooled connection to go away.
      closeTimeout: 500,
      onRcptTo: (_address, _session, callback) => callback(failAt('rcpt') ?? null),
      onData: (stream: SMTPServerDataStream, _session, callback) => {
        void simpleParser(stream).then((mail) => {
          const failure = failAt('data');
          if (failure) return callback(failure);
          if (this.refuse?.(mail)) return callback(Object.assign(new Error('Message refused: content rejected'), { responseCode: 550 }));
          this.messages.push(mail);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
