const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A point in time as an operator types it: an age (`90s`, `15m`, `2h`, `3d`, `1w`: that long ago)
 * or an ISO 8601 date or timestamp. Undefined when it is neither.
 */
export function parseTimeInput(value: string, now: number = Date.now()): Date | undefined {
  const trimmed = value.trim();
  const age = /^(\d+)\s*([smhdw])$/i.exec(trimmed);
  if (age) return new Date(now - Number(age[1]) * (UNITS[age[2]!.toLowerCase()] ?? 0));
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return undefined;
  const parsed = Date.parse(trimmed);
  return Number.isNaN(parsed) ? undefined : new Date(parsed);
}
