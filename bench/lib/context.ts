import autocannonPackage from 'autocannon/package.json' with { type: 'json' };
import type { Backends } from './backends.ts';
import { BenchChild } from './child.ts';
import { hooklineEnv } from './env.ts';
import type { ChildScript, Launcher } from './launcher.ts';
import type { CannonResult, MemoryPeaks } from './messages.ts';
import { measureCores } from './proc-cpu.ts';
import { peakRssMB, resetPeakRss, rssMB } from './proc-memory.ts';
import type { Settings } from './settings.ts';

export const AUTOCANNON_VERSION: string = autocannonPackage.version;

export type Server = { child: BenchChild; url: string; idleRssMB: number | undefined };

/** A closed-loop run, with the cores used by the server, Redis and the load generator during it. */
export type LoadRun = CannonResult & { cores: Record<string, number>; serverPeakRssMB: number | undefined; serverMemory: MemoryPeaks | undefined };

/** A process's peak RSS (VmHWM) during a scenario, and the peaks of its own memoryUsage() samples. */
export type PeakMemory = { peakRssMB: number | undefined; breakdown: MemoryPeaks | undefined };

/** Starts a scenario's memory peak afresh for this process. */
export function resetPeaks(child: BenchChild): boolean {
  if (child.proc.connected) child.send({ type: 'memoryReset' });
  return resetPeakRss(child.pid);
}

export async function readPeaks(child: BenchChild): Promise<PeakMemory> {
  const peakRss = peakRssMB(child.pid);
  let breakdown: MemoryPeaks | undefined;
  try {
    child.send({ type: 'getMemory' });
    breakdown = (await child.waitFor('memory', 5_000)).peaks;
  } catch {
    breakdown = undefined;
  }
  return { peakRssMB: peakRss, breakdown };
}

/** What every section shares: settings, backends, and the long-lived processes (started on first use). */
export class BenchContext {
  private tagCounter = 0;
  private baseline: Server | undefined;
  private ingress: Server | undefined;
  private cannon: BenchChild | undefined;
  private readonly children: BenchChild[] = [];
  /** Highest req/s seen so far: sizes the next pool of unique requests. */
  private rateSeen = 0;

  readonly settings: Settings;
  readonly backends: Backends;
  readonly runId: string;
  readonly launcher: Launcher;
  readonly profileDir: string | undefined;

  constructor(options: { settings: Settings; backends: Backends; runId: string; launcher: Launcher; profileDir: string | undefined }) {
    this.settings = options.settings;
    this.backends = options.backends;
    this.runId = options.runId;
    this.launcher = options.launcher;
    this.profileDir = options.profileDir;
  }

  /** A prefix for event ids no other run or scenario uses. */
  tag(): string {
    return `${this.runId}${(this.tagCounter++).toString(36)}_`;
  }

  log(message: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  }

  /** Starts a child and waits for it to be ready; it is stopped at the end of the run if not before. */
  async start(
    name: string,
    script: ChildScript,
    env: Record<string, string>,
    profiled = false,
  ): Promise<{ child: BenchChild; port: number | null; slackUrl?: string; smtpUrl?: string }> {
    const child = new BenchChild(name, { nodeArgs: await this.launcher.nodeArgs(script), env, cpuProfDir: profiled ? this.profileDir : undefined });
    this.children.push(child);
    const ready = await child.waitFor('ready', 60_000);
    return { child, ...ready };
  }

  async stop(child: BenchChild): Promise<void> {
    await child.stop();
    const index = this.children.indexOf(child);
    if (index >= 0) this.children.splice(index, 1);
  }

  async baselineServer(): Promise<Server> {
    if (!this.baseline) {
      const { child, port } = await this.start('baseline', 'servers/baseline.ts', hooklineEnv({ redisUrl: this.backends.redisUrl, baseline: true }));
      this.baseline = { child, url: `http://127.0.0.1:${port}`, idleRssMB: rssMB(child.pid) };
    }
    return this.baseline;
  }

  async ingressServer(): Promise<Server> {
    if (!this.ingress) {
      const { child, port } = await this.start('ingress', 'servers/ingress.ts', hooklineEnv({ redisUrl: this.backends.redisUrl }), true);
      this.ingress = { child, url: `http://127.0.0.1:${port}`, idleRssMB: rssMB(child.pid) };
    }
    return this.ingress;
  }

  /**
   * One closed-loop run against `server`: the pool (enough unique requests for the fastest rate seen
   * so far) is generated first, then the run is timed, with the cores each process used and the
   * server's peak RSS during it.
   */
  async load(server: Server, options: { seconds: number; bodyBytes?: number | undefined }): Promise<LoadRun> {
    if (!this.cannon) this.cannon = (await this.start('autocannon', 'load/cannon.ts', { ...process.env } as Record<string, string>)).child;
    const cannon = this.cannon;
    const perRequestBytes = (options.bodyBytes ?? 600) + 400;
    const memoryCap = Math.floor((options.bodyBytes !== undefined && options.bodyBytes > 8192 ? 0.6 : 1.2) * 1024 ** 3 / perRequestBytes);
    const expectedRate = Math.max(this.rateSeen * 1.3, 15_000);
    const poolSize = Math.min(memoryCap, Math.ceil(expectedRate * options.seconds));
    const spec = { url: server.url, connections: this.settings.connections, durationSeconds: options.seconds, poolSize, bodyBytes: options.bodyBytes, runTag: this.tag() };
    cannon.send({ type: 'cannon', spec });
    await cannon.waitFor('cannonPrepared', 120_000);
    const pid = server.child.pid;
    const reset = resetPeaks(server.child);
    const { value: result, cores } = await measureCores({ server: pid, redis: this.backends.redisPid, loader: cannon.pid }, async () => {
      cannon.send({ type: 'fire' });
      return (await cannon.waitFor('cannonResult', (options.seconds + 60) * 1000)).result;
    });
    this.rateSeen = Math.max(this.rateSeen, result.requestsPerSecond);
    if (result.used > result.poolSize) this.log(`warning: the run used ${result.used} requests from a pool of ${result.poolSize}: some were repeats`);
    await this.backends.settle();
    const memory = await readPeaks(server.child);
    return { ...result, cores, serverPeakRssMB: reset ? memory.peakRssMB : undefined, serverMemory: memory.breakdown };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.children.splice(0).map((child) => child.stop()));
  }
}
