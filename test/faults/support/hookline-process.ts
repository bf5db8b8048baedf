import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../support/services.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export type Role = 'all' | 'ingress' | 'worker';

/** A real hookline process (`node --import tsx src/main.ts <role>`), its output kept line by line. */
export class HooklineProcess {
  readonly role: Role;
  readonly name: string;
  readonly lines: string[] = [];
  port = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  constructor(role: Role, name: string = role) {
    this.role = role;
    this.name = name;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** `startTimeoutMs`: how long to wait for /healthz (an embedded database's first start takes longest). */
  async start(env: Record<string, string>, startTimeoutMs = 30_000): Promise<this> {
    this.port = await freePort();
    // A clean environment: nothing from the test runner's own variables leaks into the process.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', this.role], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream?.on('data', (chunk: Buffer) => {
        const parts = (rest + chunk.toString('utf8')).split('\n');
        rest = parts.pop() ?? '';
        this.lines.push(...parts.filter(Boolean));
      });
    }
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${this.name} exited at start (${child.exitCode}):\n${this.lines.slice(-20).join('\n')}`);
      const ok = await fetch(`${this.baseUrl}/healthz`).then((r) => r.ok, () => false);
      if (ok) return this;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} did not answer /healthz within ${startTimeoutMs / 1000} s:\n${this.lines.slice(-20).join('\n')}`);
  }

  /** Sends the signal and resolves with the time until the process exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ ms: number; code: number | null }> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return { ms: 0, code: child?.exitCode ?? null };
    const started = Date.now();
    child.kill(signal);
    const code = await this.exited;
    return { ms: Date.now() - started, code: code ?? null };
  }
}
