import type { EventStatus } from '../normalizers/normalized-event.ts';
import type { ProviderId } from '../providers/registry.ts';
import type { Queryable } from './db.ts';

/** Events received in one UTC hour with one status from one provider. */
export type HourCount = { hour: string; status: EventStatus; provider: ProviderId; count: number };

export type LatencySummary = { samples: number; p50Ms: number; p95Ms: number; maxMs: number };

/** Events per UTC hour since `since`, by status and provider, on the received_at index. */
export async function eventsPerHour(db: Queryable, since: Date, provider?: ProviderId): Promise<HourCount[]> {
  const { rows } = await db.query<{ hour: Date; status: EventStatus; provider: ProviderId; count: string }>(
    `select date_trunc('hour', received_at at time zone 'UTC') at time zone 'UTC' as hour, status, provider, count(*) as count
     from webhook_events
     where received_at >= $1 ${provider ? 'and provider = $2' : ''}
     group by 1, 2, 3
     order by 1`,
    provider ? [since.toISOString(), provider] : [since.toISOString()],
  );
  return rows.map((row) => ({ hour: new Date(row.hour).toISOString(), status: row.status, provider: row.provider, count: Number(row.count) }));
}

/**
 * How long the database took to hold an event after the ingress accepted it (stored_at −
 * received_at), since `since`: the database sink's delivery latency.
 */
export async function databaseLatency(db: Queryable, since: Date, provider?: ProviderId): Promise<LatencySummary> {
  const { rows } = await db.query<{ samples: string; p50: number | null; p95: number | null; max: number | null }>(
    `select count(*) as samples,
            percentile_cont(0.5) within group (order by ms) as p50,
            percentile_cont(0.95) within group (order by ms) as p95,
            max(ms) as max
     from (select greatest(0, extract(epoch from stored_at - received_at) * 1000)::float8 as ms
           from webhook_events where received_at >= $1 ${provider ? 'and provider = $2' : ''}) d`,
    provider ? [since.toISOString(), provider] : [since.toISOString()],
  );
  const row = rows[0];
  return {
    samples: Number(row?.samples ?? 0),
    p50Ms: Math.round(Number(row?.p50 ?? 0)),
    p95Ms: Math.round(Number(row?.p95 ?? 0)),
    maxMs: Math.round(Number(row?.max ?? 0)),
  };
}
