import { readFileSync, writeFileSync } from 'node:fs';

/** Peak and current resident set of a process, from /proc (Linux), in MB (10^6 bytes, as the targets). */

function statusField(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? (Number(match[1]) * 1024) / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

export function peakRssMB(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

export function rssMB(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/** Resets the peak (VmHWM) to the current RSS, so a peak belongs to one scenario. Linux ≥ 4.0. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
