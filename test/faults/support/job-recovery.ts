import type { Redis } from 'ioredis';

/** The jobs each queue holds active now (BullMQ's `<prefix>:<queue>:active` list). */
export async function activeJobs(redis: Redis, prefix: string, queues: readonly string[]): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const queue of queues) result[queue] = await redis.lrange(`${prefix}:${queue}:active`, 0, -1);
  return result;
}

export type RecoveredJob = {
  queue: string;
  jobId: string;
  /** ms after the kill: a stall check put it back in its queue (BullMQ's `stalled` event). */
  detectedMs: number | undefined;
  /** ms after the kill: another worker took it (its `processedOn`, set at every start). */
  takenMs: number;
  /** ms after the kill: it finished (`finishedOn`); undefined when still not finished. */
  finishedMs: number | undefined;
};

/**
 * Of the jobs active at the kill, the ones a stall check moved back to their queue (their stalled
 * count `stc` is set: a job of a live worker keeps its lock and is never counted), with when each
 * was found, taken again and finished, in ms after `killedAt`.
 */
export async function recoveredJobs(redis: Redis, prefix: string, activeAtKill: Record<string, string[]>, killedAt: number): Promise<RecoveredJob[]> {
  const recovered: RecoveredJob[] = [];
  for (const [queue, ids] of Object.entries(activeAtKill)) {
    const stalledAt = new Map<string, number>();
    const entries = (await redis.xrange(`${prefix}:${queue}:events`, String(killedAt - 1_000), '+')) as [string, string[]][];
    for (const [id, fields] of entries) {
      const field = (name: string) => fields[fields.indexOf(name) + 1];
      if (field('event') === 'stalled') stalledAt.set(field('jobId') ?? '', Number(id.split('-')[0]));
    }
    for (const jobId of ids) {
      const [stc, processedOn, finishedOn] = await redis.hmget(`${prefix}:${queue}:${jobId}`, 'stc', 'processedOn', 'finishedOn');
      if (!stc || Number(stc) < 1) continue;
      const detected = stalledAt.get(jobId);
      recovered.push({
        queue,
        jobId,
        detectedMs: detected === undefined ? undefined : detected - killedAt,
        takenMs: Number(processedOn) - killedAt,
        finishedMs: finishedOn ? Number(finishedOn) - killedAt : undefined,
      });
    }
  }
  return recovered;
}

export type EventLoopFigures = { maxMs: number; p99Ms: number; samples: number };

/**
 * Scrapes processes' /metrics (prom-client's event-loop delay histogram, reset at every scrape)
 * every `everyMs`: the longest delay seen and the worst 99th percentile over a window, per process,
 * from the second scrape on.
 */
export function sampleEventLoops(targets: () => Record<string, string>, everyMs = 500): { stop(): Record<string, EventLoopFigures> } {
  const figures: Record<string, EventLoopFigures> = {};
  const started = new Set<string>();
  const read = (text: string, name: string) => {
    const match = new RegExp(`^hookline_nodejs_eventloop_lag_${name}_seconds(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) * 1000 : undefined;
  };
  const timer = setInterval(() => {
    for (const [name, baseUrl] of Object.entries(targets())) {
      void fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(everyMs * 4) })
        .then((response) => (response.ok ? response.text() : ''))
        .then((text) => {
          const max = read(text, 'max');
          const p99 = read(text, 'p99');
          if (max === undefined || p99 === undefined || !Number.isFinite(max)) return;
          // The first scrape covers the process' start (an embedded database's set-up, no jobs yet): not counted.
          if (!started.has(name)) return void started.add(name);
          const current = (figures[name] ??= { maxMs: 0, p99Ms: 0, samples: 0 });
          current.maxMs = Math.max(current.maxMs, max);
          current.p99Ms = Math.max(current.p99Ms, p99);
          current.samples += 1;
        })
        .catch(() => undefined);
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return figures;
    },
  };
}
