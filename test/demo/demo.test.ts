import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { PROVIDER_IDS } from '../../src/providers/registry.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Run = { code: number | null; stdout: string; stderr: string };

/** `npm run demo` as a newcomer runs it, but on the tests' Redis (REDIS_URL). */
function runDemo(args: string[], onOutput?: (stdout: string, stop: () => void) => void): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/demo.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', REDIS_URL: inject('redisUrl') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onOutput?.(stdout, () => child.kill('SIGINT'));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

function dataDirOf(stdout: string): string {
  return /embedded database in (\S+)/.exec(stdout)?.[1] ?? '';
}

describe('npm run demo', () => {
  it('starts hookline, lands every provider sample as a row and a run, and stops', async () => {
    const run = await runDemo([]);
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    for (const provider of PROVIDER_IDS) expect(run.stdout).toMatch(new RegExp(`^${provider}\\s+202 accepted\\s+${provider}:\\S+\\s+yes`, 'm'));
    expect(run.stdout).toMatch(/^persona .* failed /m);
    expect(run.stdout).toMatch(/^reachfive .* partial /m);
    expect(run.stdout).toMatch(/^personaclick .* succeeded /m);
    // The alerts, as the demo's Slack stand-in received them (alone or in a digest, whichever the
    // pace made them): two failures of one pipeline, its recovery, and a run stuck since `started`.
    expect(run.stdout).toMatch(/^\s+run 1 errored\s+→\s+FAILED · persona · .*mprtpr_DEMO_1.*first failure.*persona:evt_DEMO_FAIL_1$/im);
    expect(run.stdout).toMatch(/^\s+run 2 errored\s+→\s+FAILED · persona · .*mprtpr_DEMO_2.*2nd fail.*persona:evt_DEMO_FAIL_2$/m);
    expect(run.stdout).toMatch(/^\s+run 3 completed\s+→\s+RECOVERED · persona · .*mprtpr_DEMO_3.*recovered after 2 failed runs.*persona:evt_DEMO_OK_3$/m);
    expect(run.stdout).toMatch(/^\s+run 4 started .*→\s+STUCK · persona · .*mprtpr_DEMO_4.*stuck: no event for 2 min \(status started.*persona:evt_DEMO_START_4$/m);
    expect(run.stdout).toMatch(/stopped after/);
    expect(existsSync(dataDirOf(run.stdout))).toBe(false);
  }, 60_000);

  it('with --keep stays up with the status page showing the samples and the demo runs, until Ctrl-C', async () => {
    let checked: Promise<string[]> | undefined;
    const run = await runDemo(['--keep'], (stdout, stop) => {
      if (checked || !stdout.includes('Running until Ctrl-C')) return;
      const adminUrl = /Status page: (\S+)/.exec(stdout)?.[1] ?? '';
      const token = /log in with the token (\S+)\)/.exec(stdout)?.[1] ?? '';
      checked = (async () => {
        try {
          const response = await fetch(`${adminUrl}/api/events`, { headers: { authorization: `Bearer ${token}` } });
          const body = (await response.json()) as { events: Array<{ provider: string; id: string }> };
          return body.events.map((event) => (event.id.startsWith('persona:evt_DEMO_') ? 'demo' : event.provider)).sort();
        } finally {
          stop();
        }
      })();
    });
    expect(run.code, run.stdout).toBe(0);
    // One sample per provider, and the demo's four Persona runs (two failures, a recovery, a stuck run).
    expect(await checked).toEqual([...PROVIDER_IDS, 'demo', 'demo', 'demo', 'demo'].sort());
    expect(existsSync(dataDirOf(run.stdout))).toBe(false);
  }, 60_000);
});
