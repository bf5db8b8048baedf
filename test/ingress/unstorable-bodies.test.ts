import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { storedBody } from '../../src/db/queries.ts';
import { decodeSpooledEvent, encodeSpooledEvent } from '../../src/ingress/spool/spooled-event.ts';
import { decodeRawBody, displayText, hasEscapedBytes, rawBodyBytes } from '../../src/queue/raw-body.ts';
import { fixture } from '../support/fixtures.ts';
import { createTestSchema, startTestPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { CREDENTIALS, post } from '../support/signing.ts';

/*
 * Finding 5 of issue 12: signed bodies PostgreSQL's jsonb cannot hold (`1e999999`, a 200,000-digit
 * number) were answered 202 and then dead-lettered by the database for ever (22003), and bytes that
 * are not UTF-8 reached the database as U+FFFD. Now each is stored, `raw_bytes` equal to the signed
 * bytes, on PostgreSQL and on the embedded database; one that cannot be normalized is kept as an
 * ingest dead letter whose body gives back the signed bytes.
 */

const databaseUrl = inject('databaseUrl');

describe('the body as RawEvent.body carries it', () => {
  it('is the text of a valid UTF-8 body, unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        const bytes = Buffer.from(text, 'utf8');
        expect(decodeRawBody(bytes)).toBe(bytes.toString('utf8'));
        expect(rawBodyBytes(decodeRawBody(bytes)).equals(bytes)).toBe(true);
      }),
    );
  });

  it('gives back any bytes exactly, and shows them as Buffer#toString would', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      // Mostly valid UTF-8 with a few stray bytes: the case that matters.
      fc
        .tuple(fc.string({ unit: 'grapheme', maxLength: 50 }), fc.uint8Array({ minLength: 1, maxLength: 6, min: 0x80, max: 0xff }), fc.string({ maxLength: 50 }))
        .map(([a, b, c]) => Buffer.concat([Buffer.from(a), b, Buffer.from(c)])),
    );
    fc.assert(
      fc.property(bytes, (raw) => {
        const buffer = Buffer.from(raw);
        const body = decodeRawBody(buffer);
        expect(rawBodyBytes(body).equals(buffer)).toBe(true);
        expect(displayText(body)).toBe(buffer.toString('utf8'));
        // Through the ingest job (JSON) and back.
        expect(rawBodyBytes(JSON.parse(JSON.stringify(body)) as string).equals(buffer)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps each invalid byte as U+DC80+byte, and never mistakes a surrogate pair for one', () => {
    expect(decodeRawBody(Buffer.from([0x61, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]))).toBe('a\uDCFF\uDCC3(\uDCED\uDCA0\uDC80');
    expect(hasEscapedBytes('\uD800\uDC80')).toBe(false); // U+10080, a valid character
    expect(rawBodyBytes('\uD800\uDC80').equals(Buffer.from('\uD800\uDC80', 'utf8'))).toBe(true);
    expect(decodeRawBody(Buffer.from('\u{10080}', 'utf8'))).toBe('\u{10080}');
  });

  it('survives the spool', () => {
    const body = decodeRawBody(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xfe, 0x22, 0x7d]));
    const event = { provider: 'persona' as const, key: 'persona:x', receivedAt: '2024-01-01T00:00:00.000Z', body, headers: {} };
    expect(rawBodyBytes(decodeSpooledEvent(encodeSpooledEvent(event))!.body)).toEqual(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xfe, 0x22, 0x7d]));
  });
});

/** Persona's signature over the bytes themselves (test/support/signing.ts signs strings). */
function personaSigned(bytes: Buffer) {
  const t = Math.floor(Date.now() / 1000);
  const mac = createHmac('sha256', CREDENTIALS.persona[0]).update(`${t}.`).update(bytes).digest('hex');
  return { headers: { 'persona-signature': `t=${t},v1=${mac}` }, query: {} };
}

const ERRORED = fixture('persona', 'importer-pipeline-run.errored');

/** The errored sample with its own event id and `from` replaced by `to` (a string, or raw bytes). */
function body(eventId: string, from: string, to: string | Buffer): Buffer {
  const text = ERRORED.replace('"id": "evt_', `"id": "${eventId}_`);
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`no ${from} in the sample`);
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(to), Buffer.from(text.slice(at + from.length))]);
}

const INVALID_UTF8 = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]);

const CASES = {
  e999999: body('evt_e999999', '"error-count": 150', '"error-count": 1e999999'),
  digits: body('evt_digits', '"estimated-total-count": 1000', `"estimated-total-count": ${'9'.repeat(200_000)}`),
  utf8: body('evt_utf8', 'Customer Data Import', Buffer.concat([Buffer.from('Customer '), INVALID_UTF8, Buffer.from(' Import')])),
};
/** Its run id (`requiredId`) is 1e999999, Infinity to JSON.parse: no event can be made of it. */
const UNNORMALIZABLE = body(
  'evt_unnormalizable',
  '"id": "mprtpr_ABC123DEF456"',
  Buffer.concat([Buffer.from('"id": 1e999999, "note": "'), INVALID_UTF8, Buffer.from('"')]),
);

const PIPELINES = [
  { name: 'PostgreSQL', skip: !databaseUrl, postgres: true },
  { name: 'the embedded database', skip: false, postgres: false },
];

describe.each(PIPELINES)('signed bodies jsonb cannot hold, end to end on $name', ({ skip, postgres }) => {
  describe.skipIf(skip)('', () => {
    let p: TestPipeline;
    let drop = async () => {};

    beforeAll(async () => {
      let env: Record<string, string> = { DATA_DIR: 'memory://' };
      if (postgres) {
        const schema = await createTestSchema();
        drop = schema.drop;
        env = { DATABASE_URL: schema.url, DATABASE_SCHEMA: schema.schema };
      }
      p = await startTestPipeline(env);
    });
    afterAll(async () => {
      await p?.close();
      await drop();
    });

    it('answers 2xx and stores each, raw_bytes equal to the signed bytes', { timeout: 60_000 }, async () => {
      for (const [name, bytes] of Object.entries(CASES)) {
        const answer = await post(p.baseUrl, 'persona', bytes, personaSigned(bytes));
        expect(answer.status, name).toBe(202);
      }
      const keys = Object.keys(CASES).map((name) => `persona:evt_${name}_ABC123DEF456GHI789JKL012MNO345`);
      for (const key of keys) await waitFor(() => storedBody(p.db, key), 20_000, key);

      for (const [i, bytes] of Object.values(CASES).entries()) {
        const stored = (await storedBody(p.db, keys[i]!))!;
        expect(stored.bytes?.equals(bytes), keys[i]).toBe(true);
      }
      // jsonb cannot hold these numbers: `raw` holds the body's text as a string.
      expect((await storedBody(p.db, keys[0]!))!.raw).toBe(CASES.e999999.toString());
      expect((await storedBody(p.db, keys[1]!))!.rawIsText).toBe(true);
      // It can hold this one: its JSON, the bytes that are not UTF-8 as U+FFFD (as before).
      const utf8 = (await storedBody(p.db, keys[2]!))!;
      expect(utf8.rawIsText).toBe(false);
      expect(utf8.raw).toEqual(JSON.parse(CASES.utf8.toString('utf8')));

      const { rows } = await p.db.query<{ id: string; status: string; parent_name: string | null; event: { counts?: unknown } }>(
        'select id, status, parent_name, event from webhook_events order by id',
      );
      expect(rows.map((row) => [row.id, row.status])).toEqual(keys.map((key) => [key, 'failed']).sort());
      const names = Object.fromEntries(rows.map((row) => [row.id, row.parent_name]));
      expect(names[keys[2]!]).toBe('Customer \uFFFD\uFFFD\uFFFD(\uFFFD Import');
      // The count jsonb cannot hold is dropped by the normalizer (lenient counts), not stored.
      const e999999 = rows.find((row) => row.id === keys[0]);
      expect(e999999?.event.counts).toEqual({ total: 150, succeeded: 0, created: 0, updated: 0 });
      expect(await p.queues.database.getFailedCount()).toBe(0);
      expect(await p.queues.ingest.getFailedCount()).toBe(0);
    });

    it('keeps one it cannot normalize as an ingest dead letter whose body gives back the signed bytes', { timeout: 30_000 }, async () => {
      const answer = await post(p.baseUrl, 'persona', UNNORMALIZABLE, personaSigned(UNNORMALIZABLE));
      expect(answer.status).toBe(202);
      const dead = await waitFor(async () => (await p.queues.ingest.getFailed()).find((job) => job.data.key === answer.body.id), 20_000, 'dead letter');
      expect(dead.failedReason).toMatch(/persona/);
      expect(rawBodyBytes(dead.data.body).equals(UNNORMALIZABLE)).toBe(true);
      expect(await storedBody(p.db, String(answer.body.id))).toBeUndefined();
      expect(await p.queues.database.getFailedCount()).toBe(0);
    });
  });
});
