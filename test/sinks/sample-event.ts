import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertItem, AlertNotes, SeriesRef, StuckReport } from '../../src/alerts/alert-item.ts';
import { normalizedEventSchema, type NormalizedEvent } from '../../src/normalizers/normalized-event.ts';
import { FIXTURES_DIR } from '../support/fixtures.ts';

/** A valid normalized event (checked against the schema) with whatever `overrides` change. */
export function sampleEvent(overrides: Partial<NormalizedEvent> = {}): NormalizedEvent {
  return normalizedEventSchema.parse({
    id: 'persona:evt_ABC123DEF456',
    provider: 'persona',
    type: 'importer-pipeline-run.errored',
    category: 'import',
    status: 'failed',
    occurredAt: '2024-01-16T02:14:09.118Z',
    receivedAt: '2024-01-16T02:14:10.000Z',
    subject: { id: 'mprtpr_ABC123DEF456', name: 'Customer Data Import' },
    parent: { id: 'mprtp_PIPE1', name: 'Nightly CRM sync' },
    counts: { total: 10, succeeded: 8, failed: 2 },
    error: { code: 'E_ROWS', message: 'Row 7: email is not valid', step: 'validate' },
    summary: 'Persona import "Customer Data Import" failed: Row 7: email is not valid',
    ...overrides,
  });
}

export function sampleRaw(event: NormalizedEvent): string {
  return JSON.stringify({ data: { id: event.id.split(':').pop(), attributes: { name: event.type } } });
}

export const SERIES: SeriesRef = { id: 'mprtp_PIPE1', name: 'Nightly CRM sync' };

/** An event alert, as the workers hand it to a sink. */
export function eventItem(overrides: Partial<NormalizedEvent> = {}, notes?: AlertNotes): AlertItem {
  return { kind: 'event', event: sampleEvent(overrides), ...(notes ? { notes } : {}) };
}

/** A run stuck in `running` since 02:14, found at 08:15: 6 h 12 min before SAMPLE_NOW. */
export function stuckItem(overrides: Partial<StuckReport> = {}): AlertItem {
  return {
    kind: 'stuck',
    report: {
      incidentId: 'inc_STUCK1',
      provider: 'persona',
      category: 'import',
      status: 'running',
      subject: { id: 'mprtpr_RUN9', name: 'Customer Data Import' },
      parent: SERIES,
      lastEventId: 'persona:evt_LAST9',
      lastEventAt: '2024-01-16T02:14:00.000Z',
      detectedAt: '2024-01-16T08:15:00.000Z',
      stuckAfterSeconds: 21_600,
      ...overrides,
    },
  };
}

/** 2024-01-16 08:26:30 UTC: 6 h 12 min after stuckItem's last event. */
export const SAMPLE_NOW = Date.parse('2024-01-16T08:26:30.000Z');

/** Every normalized event the reviewed fixtures (`test/fixtures/**\/<name>.expected.json`) describe. */
export function fixtureEvents(): Array<{ name: string; event: NormalizedEvent }> {
  const found: Array<{ name: string; event: NormalizedEvent }> = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.expected.json')) {
        const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
        const checked = normalizedEventSchema.safeParse(parsed);
        if (checked.success) found.push({ name: path.slice(FIXTURES_DIR.length), event: checked.data });
      }
    }
  };
  walk(FIXTURES_DIR);
  return found;
}

/** How often `needle` occurs in `haystack` (non-overlapping). */
export function occurrences(haystack: string, needle: string): number {
  if (needle === '') return 0;
  return haystack.split(needle).length - 1;
}
