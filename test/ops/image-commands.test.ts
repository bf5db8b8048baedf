import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
import { createTestSchema, waitFor } from '../support/pipeline.ts';
import { sampleValue, scrape } from '../support/prometheus.ts';
import { freePort } from '../support/services.ts';
import { CREDENTIAL_ENV, sendSigned } from '../support/signing.ts';

/**
 * The container's commands, read from the Dockerfile and docker-compose.yml and run here against
 * compiled JavaScript laid out as in the image (/app: package.json, node_modules, dist), so the image
 * cannot drift from what the tests run. No container engine is needed. node_modules is what the
 * Dockerfile's deps stage installs, its own `npm ci --omit=dev` run here: no dev dependency (tsx,
 * esbuild, vitest) is there, so the production commands are shown to need none of them.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');

function execForm(pattern: RegExp, what: string): string[] {
  const match = pattern.exec(dockerfile);
  if (!match?.[1]) throw new Error(`the Dockerfile has no exec-form ${what}`);
  return JSON.parse(match[1]) as string[];
}

const ENTRYPOINT = execForm(/^ENTRYPOINT (\[.*\])$/m, 'ENTRYPOINT');
const CMD = execForm(/^CMD (\[.*\])$/m, 'CMD');
const HEALTHCHECK = execForm(/^HEALTHCHECK .*CMD (\[.*\])$/m, 'HEALTHCHECK');
const IMAGE_ENV = Object.fromEntries(
  [...dockerfile.matchAll(/^ENV ((?:.*\\\n)*.*)$/gm)].flatMap((m) =>
    [...(m[1] ?? '').matchAll(/([A-Z_]+)=(\S+)/g)].map(([, key, value]) => [key!, value!]),
  ),
);

/** The deps stage's install (`npm ci --omit=dev …`), without what follows it (`&& npm cache clean`). */
const PRODUCTION_INSTALL = (() => {
  const match = /^RUN (npm ci --omit=dev[^&\n]*)/m.exec(dockerfile);
  if (!match?.[1]) throw new Error('the Dockerfile has no `RUN npm ci --omit=dev` (its production dependencies)');
  return match[1].trim().split(/\s+/);
})();

function composeCommand(service: string): string[] {
  const block = new RegExp(`^  ${service}:\\n((?:    .*\\n|\\n)*)`, 'm').exec(compose)?.[1] ?? '';
  const command = /^    command: (\[.*\])$/m.exec(block)?.[1];
  if (!command) throw new Error(`docker-compose.yml: service ${service} has no command`);
  return JSON.parse(command) as string[];
}

const redisUrl = inject('redisUrl');
const databaseUrl = inject('databaseUrl');
let app: string;
const children: ChildProcess[] = [];
const prefixes: string[] = [];

beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'hookline-image-'));
  // `npm run build` into a private directory. --noCheck emits the same files at half the CPU; type
  // checking is `npm run typecheck`'s job.
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(app, 'dist'), '--noCheck'], {
    encoding: 'utf8',
  });
  expect(build.status, build.stdout + build.stderr).toBe(0);
  copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  copyFileSync(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
  // The deps stage's command. --prefer-offline: the tarballs are in npm's cache after the checkout's
  // own `npm ci`, so this takes ~20 s and rarely the network.
  const [npm, ...npmArgs] = PRODUCTION_INSTALL;
  const install = spawnSync(npm!, [...npmArgs, '--prefer-offline'], { cwd: app, encoding: 'utf8', timeout: 150_000 });
  expect(install.status, `${PRODUCTION_INSTALL.join(' ')}\n${install.stdout}${install.stderr}`).toBe(0);
  // The CLI's launcher, for the test that runs it with no tsx and no src/ beside it.
  cpSync(join(ROOT, 'bin'), join(app, 'bin'), { recursive: true });
}, 240_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  const redis = new Redis(redisUrl);
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
  if (app) rmSync(app, { recursive: true, force: true });
});

type Started = { child: ChildProcess; baseUrl: string; port: number; output: () => string };

async function run(command: string[], env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const [file, ...args] = command;
  let output = '';
  const child = spawn(file!, args, {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', ...IMAGE_ENV, DATA_DIR: join(app, 'data'), LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  children.push(child);
  // Each probe starts a Node process, as Docker does: probe every half second, not in a tight loop.
  const deadline = Date.now() + 60_000;
  while (healthcheck(port) !== 0) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${command.join(' ')} did not become healthy\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { child, port, baseUrl: `http://127.0.0.1:${port}`, output: () => output };
}

function healthcheck(port: number): number | null {
  const [file, ...args] = HEALTHCHECK;
  return spawnSync(file!, args, { cwd: app, env: { PATH: process.env.PATH ?? '', PORT: String(port) }, timeout: 10_000 }).status;
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

function queuePrefix(): string {
  const prefix = `img${Math.random().toString(36).slice(2, 10)}`;
  prefixes.push(prefix);
  return prefix;
}

describe('the image commands, run on the compiled JavaScript', () => {
  it('runs on production dependencies only: no tsx, esbuild or vitest installed', () => {
    expect(PRODUCTION_INSTALL).toContain('--omit=dev');
    // (TypeScript itself is there: @bull-board/api's valibot declares it as a peer dependency.)
    for (const dev of ['tsx', 'esbuild', 'vitest', '@vitest/coverage-v8']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    for (const dependency of Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies)) {
      expect(existsSync(join(app, 'node_modules', dependency)), dependency).toBe(true);
    }
  });

  it("the image's Node major is the one .ci/run tests beside the machine's, and in engines", () => {
    const major = /^ARG NODE_IMAGE=node:(\d+)[-.]/m.exec(dockerfile)?.[1];
    expect(major, 'ARG NODE_IMAGE=node:<major>…').toBeDefined();
    const fetchNode = readFileSync(join(ROOT, 'scripts/fetch-node.sh'), 'utf8');
    expect(fetchNode).toMatch(new RegExp(`^\\s*${major}\\) echo ${major}\\.\\d+\\.\\d+ ;;$`, 'm'));
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toContain(`scripts/fetch-node.sh ${major}`);
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines.split('||').map((range) => range.trim())).toContain(`^${major}`);
  });

  it('bin/hookline.mjs runs the compiled CLI when tsx and src/ are not there', () => {
    const cli = spawnSync(process.execPath, [join(app, 'bin/hookline.mjs'), '--version'], { cwd: app, encoding: 'utf8', timeout: 30_000 });
    expect(cli.status, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('HEALTHCHECK fails while nothing answers', async () => {
    expect(healthcheck(await freePort())).toBe(1);
  });

  it('ENTRYPOINT + CMD: the all-in-one process accepts, delivers, and stops on SIGTERM', async () => {
    expect([...ENTRYPOINT, ...CMD]).toEqual(['node', 'dist/main.js', 'all']);
    const started = await run([...ENTRYPOINT, ...CMD], { REDIS_URL: redisUrl, QUEUE_PREFIX: queuePrefix(), ...CREDENTIAL_ENV });
    const answer = await sendSigned(started.baseUrl, 'persona', fixture('persona', 'importer-pipeline-run.completed'));
    expect(answer.status).toBe(202);
    await waitFor(
      async () => sampleValue(await scrape(started.baseUrl), 'hookline_deliveries_total', { sink: 'database', outcome: 'delivered' }) === 1,
      20_000,
      'the database delivery',
    );
    expect(await stop(started.child), started.output()).toBe(0);
  }, 120_000);

  it.skipIf(!databaseUrl)("docker-compose.yml's ingress and worker commands work together", async () => {
    const schema = await createTestSchema();
    try {
      const shared = { REDIS_URL: redisUrl, QUEUE_PREFIX: queuePrefix(), ...CREDENTIAL_ENV };
      const ingress = await run([...ENTRYPOINT, ...composeCommand('ingress')], shared);
      const worker = await run([...ENTRYPOINT, ...composeCommand('worker')], {
        ...shared,
        DATABASE_URL: schema.url,
        DATABASE_SCHEMA: schema.schema,
      });
      expect((await sendSigned(ingress.baseUrl, 'reachfive', fixture('reachfive', 'export.failure'))).status).toBe(202);
      await waitFor(
        async () => sampleValue(await scrape(worker.baseUrl), 'hookline_deliveries_total', { sink: 'database', outcome: 'delivered' }) === 1,
        20_000,
        'the worker to deliver the event',
      );
      // The worker serves only health and metrics, no webhooks.
      expect((await sendSigned(worker.baseUrl, 'reachfive', '{}')).status).toBe(404);
      expect(await stop(ingress.child), ingress.output()).toBe(0);
      expect(await stop(worker.child), worker.output()).toBe(0);
    } finally {
      await schema.drop();
    }
  }, 120_000);
});
