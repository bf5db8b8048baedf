import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildMessageOf, ChildMessageType, ParentMessage } from './messages.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type ChildOptions = {
  /** What follows `node` (and its profiling flags): the script, bundled or through tsx. */
  nodeArgs: string[];
  env: Record<string, string>;
  /** Writes a V8 CPU profile of the child into this directory when it exits. */
  cpuProfDir?: string | undefined;
};

type Waiter = { type: ChildMessageType; resolve: (message: ChildMessage) => void; reject: (error: Error) => void };

/**
 * A bench process: `node <script>` directly (never a wrapper such as the tsx CLI, which would put a
 * second process between us and the pid whose memory we read), with an IPC channel and stdout
 * discarded (the services log at info, as in production).
 */
export class BenchChild {
  readonly proc: ChildProcess;
  private readonly inbox: ChildMessage[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly subscribers = new Map<ChildMessageType, (message: ChildMessage) => void>();
  private exited: Error | undefined;

  readonly name: string;

  constructor(name: string, options: ChildOptions) {
    this.name = name;
    const profiling: string[] = [];
    if (options.cpuProfDir) {
      const dir = join(options.cpuProfDir, name);
      mkdirSync(dir, { recursive: true });
      profiling.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
    }
    this.proc = spawn(process.execPath, [...profiling, ...options.nodeArgs], {
      cwd: REPO_ROOT,
      env: options.env,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.proc.on('message', (raw) => this.receive(raw as ChildMessage));
    this.proc.on('exit', (code, signal) => {
      this.exited = new Error(`${name} exited (${signal ?? `code ${code}`})`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.exited);
    });
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error(`${this.name} has no pid`);
    return this.proc.pid;
  }

  send(message: ParentMessage): void {
    this.proc.send(message);
  }

  /** Messages of this type go to `handler` instead of waiting in the inbox. */
  subscribe<T extends ChildMessageType>(type: T, handler: (message: ChildMessageOf<T>) => void): void {
    this.subscribers.set(type, handler as (message: ChildMessage) => void);
  }

  waitFor<T extends ChildMessageType>(type: T, timeoutMs = 120_000): Promise<ChildMessageOf<T>> {
    const index = this.inbox.findIndex((message) => message.type === type || message.type === 'error');
    if (index >= 0) {
      const [found] = this.inbox.splice(index, 1);
      if (found?.type === 'error') return Promise.reject(new Error(`${this.name}: ${found.message}`));
      return Promise.resolve(found as ChildMessageOf<T>);
    }
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<ChildMessageOf<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new Error(`${this.name}: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        type,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message as ChildMessageOf<T>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Asks the child to close and exit (so its profile is written); kills it if it does not. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    if (this.proc.connected) this.send({ type: 'stop' });
    else this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  private receive(message: ChildMessage): void {
    const subscriber = this.subscribers.get(message.type);
    if (subscriber) return subscriber(message);
    if (message.type === 'error') {
      const error = new Error(`${this.name}: ${message.message}`);
      const waiters = this.waiters.splice(0);
      if (waiters.length === 0) this.inbox.push(message); // the next waitFor fails with it
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    const index = this.waiters.findIndex((waiter) => waiter.type === message.type);
    if (index >= 0) {
      const [waiter] = this.waiters.splice(index, 1);
      waiter?.resolve(message);
      return;
    }
    this.inbox.push(message);
  }
}
