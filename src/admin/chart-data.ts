import type { Db } from '../db/db.ts';
import { databaseLatency, eventsPerHour, type HourCount } from '../db/status-charts.ts';
import { EVENT_STATUSES } from '../normalizers/normalized-event.ts';
import { findDeadLetters } from '../replay/dead-letters.ts';
import type { OpenReplayQueues } from '../replay/replay-queues.ts';
import { withDeadline } from '../shared/deadline.ts';
import { PROVIDER_IDS, type ProviderId } from '../providers/registry.ts';
import type { LatencyRow, StackedBars } from './svg-chart.ts';

export type ChartWindow = '24h' | '7d';
export const CHART_WINDOWS: Record<ChartWindow, number> = { '24h': 24, '7d': 168 };

export type ChartData = {
  window: ChartWindow;
  byStatus: StackedBars;
  byProvider: StackedBars;
  latency: LatencyRow[];
  deadLetters: StackedBars;
  problems: string[];
};

const STATUS_COLORS: Record<string, string> = {
  failed: '#d93025',
  partial: '#f29900',
  canceled: '#80868b',
  succeeded: '#188038',
  started: '#1a73e8',
  running: '#4285f4',
  paused: '#a142f4',
  resumed: '#24c1e0',
};
const PALETTE = ['#1a73e8', '#e8710a', '#188038', '#a142f4', '#d93025', '#24c1e0', '#f29900', '#80868b'];
const HOUR_MS = 3_600_000;
const READ_TIMEOUT_MS = 3_000;
/** Completed delivery jobs read per destination for its latency (the newest). */
const LATENCY_SAMPLES = 500;
const DEAD_LETTER_SCAN = 5_000;

/**
 * The 7-day window aggregates a week of rows (about a second at a million events: bench/results):
 * it is computed at most once a minute per provider filter and shared; the 24-hour window is live.
 */
const WEEK_CACHE_MS = 60_000;
const weekCache = new Map<string, { at: number; charts: Promise<ChartData> }>();

/** The overview's charts, read in parallel; each part fails on its own. */
export function readCharts(
  db: Db,
  queues: OpenReplayQueues,
  window: ChartWindow,
  provider: ProviderId | undefined,
  now = Date.now(),
): Promise<ChartData> {
  if (window !== '7d') return readChartsNow(db, queues, window, provider, now);
  const key = `${queues.ingest.opts.prefix ?? ''}:${provider ?? ''}`;
  const cached = weekCache.get(key);
  if (cached && now - cached.at < WEEK_CACHE_MS) return cached.charts;
  const charts = readChartsNow(db, queues, window, provider, now);
  weekCache.set(key, { at: now, charts });
  charts.catch(() => weekCache.delete(key));
  return charts;
}

async function readChartsNow(
  db: Db,
  queues: OpenReplayQueues,
  window: ChartWindow,
  provider: ProviderId | undefined,
  now = Date.now(),
): Promise<ChartData> {
  const hours = hourBuckets(now, CHART_WINDOWS[window]);
  const since = new Date(Date.parse(hours[0]!));
  const [counts, dbLatency, alertLatency, letters] = await Promise.allSettled([
    bounded(eventsPerHour(db, since, provider)),
    bounded(databaseLatency(db, since, provider)),
    bounded(alertLatencies(queues, since.getTime(), provider)),
    bounded(findDeadLetters(queues, { since, provider, limit: DEAD_LETTER_SCAN })),
  ]);
  const problems: string[] = [];
  const value = <T>(result: PromiseSettledResult<T>, fallback: T, what: string): T => {
    if (result.status === 'fulfilled') return result.value;
    problems.push(`${what}: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`);
    return fallback;
  };
  const rows = value(counts, [], 'events per hour (database)');
  const database = value(dbLatency, undefined, 'database latency (database)');
  const alerts = value(alertLatency, [], 'delivery latency (Redis)');
  const dead = value(letters, [], 'dead letters (Redis)');
  const label = window === '24h' ? 'last 24 hours' : 'last 7 days';
  return {
    window,
    byStatus: {
      id: 'chart-status',
      title: `Events per hour by status, ${label}`,
      buckets: hours,
      unit: 'event',
      series: layers(hours, rows, (row) => row.status, [...EVENT_STATUSES].reverse(), (name, i) => STATUS_COLORS[name] ?? PALETTE[i % PALETTE.length]!),
    },
    byProvider: {
      id: 'chart-provider',
      title: `Events per hour by provider, ${label}`,
      buckets: hours,
      unit: 'event',
      series: layers(hours, rows, (row) => row.provider, PROVIDER_IDS, (_name, i) => PALETTE[i % PALETTE.length]!),
    },
    latency: [...(database ? [{ destination: 'database', ...database }] : []), ...alerts],
    deadLetters: {
      id: 'chart-dead-letters',
      title: `Dead letters per hour by destination, ${label}`,
      buckets: hours,
      unit: 'dead letter',
      series: deadLetterLayers(hours, dead.map((letter) => ({ at: letter.failedAt, where: letter.kind === 'ingest' ? 'ingest' : (letter.sink ?? letter.queue) }))),
    },
    problems,
  };
}

/** The UTC hours of the window, oldest first, the current hour last. */
export function hourBuckets(now: number, count: number): string[] {
  const current = Math.floor(now / HOUR_MS) * HOUR_MS;
  return Array.from({ length: count }, (_, i) => new Date(current - (count - 1 - i) * HOUR_MS).toISOString());
}

function layers(
  hours: readonly string[],
  rows: readonly HourCount[],
  keyOf: (row: HourCount) => string,
  order: readonly string[],
  color: (name: string, index: number) => string,
): StackedBars['series'] {
  const index = new Map(hours.map((hour, i) => [hour, i]));
  const values = new Map<string, number[]>();
  for (const row of rows) {
    const i = index.get(row.hour);
    if (i === undefined) continue;
    const key = keyOf(row);
    const list = values.get(key) ?? new Array<number>(hours.length).fill(0);
    list[i]! += row.count;
    values.set(key, list);
  }
  return order.filter((name) => values.has(name)).map((name, i) => ({ name, color: color(name, i), values: values.get(name)! }));
}

function deadLetterLayers(hours: readonly string[], letters: ReadonlyArray<{ at: string; where: string }>): StackedBars['series'] {
  const index = new Map(hours.map((hour, i) => [hour, i]));
  const values = new Map<string, number[]>();
  for (const letter of letters) {
    const hour = new Date(Math.floor(Date.parse(letter.at) / HOUR_MS) * HOUR_MS).toISOString();
    const i = index.get(hour);
    if (i === undefined) continue;
    const list = values.get(letter.where) ?? new Array<number>(hours.length).fill(0);
    list[i]! += 1;
    values.set(letter.where, list);
  }
  return [...values.keys()].sort().map((name, i) => ({ name, color: PALETTE[i % PALETTE.length]!, values: values.get(name)! }));
}

/**
 * Slack and email latency: from when the ingress accepted the event to when the destination's job
 * finished, over its newest completed jobs in the window (completed jobs are kept a week).
 */
async function alertLatencies(queues: OpenReplayQueues, since: number, provider: ProviderId | undefined): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  for (const [destination, queue] of queues.deliveries) {
    if (destination === 'database') continue;
    const jobs = await queue.getCompleted(0, LATENCY_SAMPLES - 1);
    const samples: number[] = [];
    for (const job of jobs) {
      if (!job?.finishedOn || job.finishedOn < since) continue;
      const event = eventOf(job.data);
      if (provider && event.provider !== provider) continue;
      const received = typeof event.receivedAt === 'string' ? Date.parse(event.receivedAt) : job.timestamp;
      samples.push(Math.max(0, job.finishedOn - (Number.isFinite(received) ? received : job.timestamp)));
    }
    rows.push({ destination, ...summarize(samples) });
  }
  return rows;
}

function eventOf(data: unknown): Record<string, unknown> {
  const record = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});
  const item = record(record(data).item);
  return record(item.kind === 'event' ? item.event : record(data).event);
}

export function summarize(samples: readonly number[]): Omit<LatencyRow, 'destination'> {
  if (samples.length === 0) return { samples: 0, p50Ms: 0, p95Ms: 0, maxMs: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { samples: sorted.length, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: sorted[sorted.length - 1]! };
}

function bounded<T>(promise: Promise<T>): Promise<T> {
  return withDeadline(promise, READ_TIMEOUT_MS, 'chart read');
}
