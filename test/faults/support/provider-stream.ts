import { randomUUID } from 'node:crypto';
import type { ProviderId } from '../../../src/providers/registry.ts';
import { fixture } from '../../support/fixtures.ts';
import { post, sign } from '../../support/signing.ts';

type Template = { provider: ProviderId; fixture: string; setId: (payload: Record<string, any>, id: string) => void };

const TEMPLATES: Template[] = [
  { provider: 'persona', fixture: 'importer-pipeline-run.errored', setId: (p, id) => void (p.data.id = `evt_${id}`) },
  { provider: 'plextera', fixture: 'workflow.run.failed', setId: (p, id) => void (p.eventId = `evt_${id}`) },
  { provider: 'primer', fixture: 'workflow-run-failed', setId: (p, id) => void (p.run.id = id) },
  { provider: 'reachfive', fixture: 'export.failure', setId: (p, id) => void (p.id = id) },
  { provider: 'personaclick', fixture: 'import_products.error', setId: (p, id) => void (p.item_id = id) },
];

export type SimEvent = { n: number; provider: ProviderId; body: string; /** The id set in the payload; it appears in the event key. */ id: string };

/** `count` distinct events, round-robin over the five providers, built from their captured samples. */
export function makeEvents(count: number): SimEvent[] {
  return Array.from({ length: count }, (_, n) => {
    const template = TEMPLATES[n % TEMPLATES.length]!;
    const payload = JSON.parse(fixture(template.provider, template.fixture)) as Record<string, any>;
    const id = `${n}-${randomUUID().slice(0, 8)}`;
    template.setId(payload, id);
    return { n, provider: template.provider, body: JSON.stringify(payload), id };
  });
}

export type Delivery = {
  event: SimEvent;
  /** The event key from the first 2xx answer. */
  key: string | undefined;
  statuses: number[];
};

export type StreamTotals = {
  sent: number;
  answered2xx: number;
  answered503: number;
  resent: number;
  networkErrors: number;
  other: number;
};

/** Every signature, token and Authorization value the simulated providers sent, for the log grep. */
export const sentCredentials = new Set<string>();

/**
 * Sends the events the way a provider does: signed, a few at a time, at a steady rate; a 503 or a
 * connection error is re-sent after Retry-After (capped at 1 s here to keep the suite short) until
 * a 2xx. `baseUrl` is read per request, so a scenario may move the stream to another ingress.
 */
export async function sendStream(
  events: SimEvent[],
  baseUrl: () => string,
  options: { perSecond: number; concurrency?: number; onProgress?: (sent: number) => void; maxAttempts?: number },
): Promise<{ deliveries: Delivery[]; totals: StreamTotals }> {
  const deliveries: Delivery[] = events.map((event) => ({ event, key: undefined, statuses: [] }));
  const totals: StreamTotals = { sent: events.length, answered2xx: 0, answered503: 0, resent: 0, networkErrors: 0, other: 0 };
  const interval = 1000 / options.perSecond;
  const maxAttempts = options.maxAttempts ?? 200;
  let next = 0;
  const started = Date.now();

  async function deliver(delivery: Delivery): Promise<void> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) totals.resent++;
      const signed = sign(delivery.event.provider, delivery.event.body);
      for (const value of [...Object.values(signed.headers), ...Object.values(signed.query)]) sentCredentials.add(value);
      let status: number;
      let retryAfter = 1;
      try {
        const answer = await post(baseUrl(), delivery.event.provider, delivery.event.body, signed);
        status = answer.status;
        retryAfter = Number(answer.headers.get('retry-after') ?? 1);
        if (status >= 200 && status < 300) delivery.key ??= String(answer.body.id);
      } catch {
        status = 0;
      }
      delivery.statuses.push(status);
      if (status >= 200 && status < 300) {
        totals.answered2xx++;
        return;
      }
      if (status === 503) totals.answered503++;
      else if (status === 0) totals.networkErrors++;
      else totals.other++;
      await new Promise((r) => setTimeout(r, Math.min(1, Math.max(0.2, retryAfter)) * 1000));
    }
  }

  async function lane(): Promise<void> {
    for (;;) {
      const index = next++;
      const delivery = deliveries[index];
      if (!delivery) return;
      const due = started + index * interval;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      options.onProgress?.(index);
      await deliver(delivery);
    }
  }

  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, lane));
  return { deliveries, totals };
}
