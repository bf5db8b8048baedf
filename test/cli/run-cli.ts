import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type CliRun = { code: number | null; stdout: string; stderr: string };

/** bin/hookline.mjs as `npx hookline` runs it, with only the environment given here. */
export function cli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/hookline.mjs'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** A usage error: exit 2 and exactly one line on stderr, nothing on stdout. */
export function oneLineError(run: CliRun): string {
  const lines = run.stderr.trimEnd().split('\n');
  if (run.code !== 2 || lines.length !== 1 || run.stdout !== '') {
    throw new Error(`expected exit 2 with one line on stderr, got ${run.code}: ${JSON.stringify(run)}`);
  }
  return lines[0] ?? '';
}
