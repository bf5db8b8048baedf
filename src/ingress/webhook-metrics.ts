import type { Counter } from 'prom-client';
import { REJECTION_REASONS, type Metrics, type RejectionReason } from '../shared/metrics.ts';
import { PROVIDER_IDS, isProviderId } from '../providers/registry.ts';

type Child = Counter.Internal;
type ProviderLabel = (typeof PROVIDER_IDS)[number] | 'unknown';

const EVENT_OUTCOMES = ['accepted', 'duplicate', 'connection_test'] as const;
const REASONS: ReadonlySet<string> = new Set(REJECTION_REASONS);

/** Answers given before any handler could name a reason (the 404 and 405 routes). */
const STATUS_REASONS: Readonly<Record<number, RejectionReason>> = { 404: 'not_found', 405: 'method_not_allowed' };

type PerProvider = {
  byStatus: Map<number, Child>;
  events: Map<string, Child>;
  rejections: Map<RejectionReason, Child>;
};

/**
 * Counts one webhook answer. Label children are looked up once per provider × status / reason and
 * then reused, so a request costs a few map lookups and no label objects.
 */
export function webhookAnswerRecorder(metrics: Metrics): (provider: string, status: number, outcome: unknown) => void {
  const providers = new Map<ProviderLabel, PerProvider>();
  for (const provider of [...PROVIDER_IDS, 'unknown'] as const) {
    const events = new Map<string, Child>();
    // An unknown provider never gets past the 404: it has no event series.
    for (const outcome of provider === 'unknown' ? [] : EVENT_OUTCOMES) {
      const child = metrics.webhookEvents.labels(provider, outcome);
      // Present from the start at 0, so rate() sees the first event.
      child.inc(0);
      events.set(outcome, child);
    }
    providers.set(provider, { byStatus: new Map(), events, rejections: new Map() });
  }

  return (provider, status, outcome) => {
    const label: ProviderLabel = isProviderId(provider) ? provider : 'unknown';
    const counters = providers.get(label);
    if (!counters) return;

    let request = counters.byStatus.get(status);
    if (!request) {
      request = metrics.webhookRequests.labels(label, String(status));
      counters.byStatus.set(status, request);
    }
    request.inc();

    const event = typeof outcome === 'string' && status < 300 ? counters.events.get(outcome) : undefined;
    if (event) {
      event.inc();
      return;
    }
    if (status < 400) return;
    const reason = reasonOf(status, outcome);
    let rejection = counters.rejections.get(reason);
    if (!rejection) {
      rejection = metrics.webhookRejections.labels(label, reason);
      counters.rejections.set(reason, rejection);
    }
    rejection.inc();
  };
}

function reasonOf(status: number, outcome: unknown): RejectionReason {
  if (typeof outcome === 'string' && REASONS.has(outcome)) return outcome as RejectionReason;
  return STATUS_REASONS[status] ?? 'other';
}
