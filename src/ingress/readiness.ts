import { withDeadline } from '../shared/deadline.ts';

export type ReadinessCheck = {
  name: string;
  check: () => Promise<void>;
  /**
   * When the check fails, what stands in for it, if anything: a spooling ingress keeps storing
   * events durably while Redis is away, so it stays ready and reports the check as that state.
   */
  standIn?: () => string | undefined;
};

export type ReadinessResult = { name: string; state: string; fine: boolean };

const READINESS_TIMEOUT_MS = 1_000;

/** Runs every check at once, each bounded: what /readyz answers and what hookline_ready reports. */
export async function evaluateReadiness(checks: readonly ReadinessCheck[]): Promise<{ ready: boolean; results: ReadinessResult[] }> {
  const results = await Promise.all(
    checks.map(async ({ name, check, standIn }): Promise<ReadinessResult> => {
      try {
        await withDeadline(check(), READINESS_TIMEOUT_MS, `readiness check ${name}`);
        return { name, state: 'ok', fine: true };
      } catch {
        const instead = standIn?.();
        return instead ? { name, state: instead, fine: true } : { name, state: 'unavailable', fine: false };
      }
    }),
  );
  return { ready: results.every((result) => result.fine), results };
}
