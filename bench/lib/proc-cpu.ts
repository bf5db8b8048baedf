import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system) a process has used so far, in seconds; undefined where /proc is absent. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU time the whole machine spent busy so far (all cores, every process), in seconds. */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, ...values] = line.trim().split(/\s+/);
    const ticks = values.map(Number);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
    const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0); // without guest time, counted in user
    return (total - idle) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Cores used by each named process while `body` runs (CPU seconds over wall seconds), and by the
 * whole machine ('machine'): what the named processes do not account for is PostgreSQL, the
 * orchestrator, the kernel, or another tenant's work.
 */
export async function measureCores<T>(pids: Record<string, number | undefined>, body: () => Promise<T>): Promise<{ value: T; cores: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid === undefined ? undefined : cpuSeconds(pid)]));
  const machineBefore = machineBusySeconds();
  const started = performance.now();
  const value = await body();
  const wall = (performance.now() - started) / 1000;
  const cores: Record<string, number> = {};
  const machineAfter = machineBusySeconds();
  if (machineBefore !== undefined && machineAfter !== undefined) cores.machine = Math.round(((machineAfter - machineBefore) / wall) * 100) / 100;
  for (const [name, pid] of Object.entries(pids)) {
    const start = before[name];
    const end = pid === undefined ? undefined : cpuSeconds(pid);
    if (start !== undefined && end !== undefined) cores[name] = Math.round(((end - start) / wall) * 100) / 100;
  }
  return { value, cores };
}
