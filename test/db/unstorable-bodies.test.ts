import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { Db } from '../../src/db/db.ts';
import { migrate } from '../../src/db/migrations.ts';
import { createPgDb } from '../../src/db/pg-db.ts';
import { jsonbNumbersFit, rawJsonbText } from '../../src/db/pg-text.ts';
import { createEmbeddedDb } from '../../src/db/pglite-db.ts';
import { storedBody } from '../../src/db/queries.ts';
import { decodeRawBody } from '../../src/queue/raw-body.ts';
import { createDatabaseSink } from '../../src/sinks/database.ts';
import { sampleEvent } from '../sinks/sample-event.ts';

/*
 * Finding 5 of issue 12: a signed body that PostgreSQL's jsonb refuses (a number beyond numeric's
 * range) became a permanent database dead letter, and bytes that are not UTF-8 were stored as U+FFFD.
 * Here, on both databases: which numbers jsonb takes (jsonbNumbersFit must agree with the server),
 * and that such bodies are stored, `raw_bytes` byte for byte.
 */

const databaseUrl = inject('databaseUrl');

type Backend = { name: string; skip: boolean; open(): Promise<{ db: Db; dispose(): Promise<void> }> };

const BACKENDS: Backend[] = [
  {
    name: 'embedded PGlite',
    skip: false,
    async open() {
      const db = await createEmbeddedDb('memory://');
      return { db, dispose: () => db.close() };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !databaseUrl,
    async open() {
      const schema = `t_ub_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      const db = await createPgDb(databaseUrl, { schema, max: 2 });
      return {
        db,
        async dispose() {
          await db.query(`drop schema if exists ${schema} cascade`);
          await db.close();
        },
      };
    },
  },
];

const zeros = (n: number) => '0'.repeat(n);

/** Number tokens at and around every bound of numeric, with what both databases said of them. */
const BOUNDARY_NUMBERS: Array<[string, boolean]> = [
  ['0', true],
  ['-0', true],
  ['1e999999', false],
  ['-1e999999', false],
  ['1E+999999', false],
  ['1e-999999', false],
  ['0e999999', true],
  ['0e-999999', false],
  ['1e131071', true],
  ['9.9e131071', true],
  ['1e131072', false],
  [`1${zeros(131_071)}`, true], // 131,072 digits
  [`1${zeros(131_072)}`, false],
  [`9${zeros(199_999)}`, false], // 200,000 digits
  ['1e-16383', true],
  ['1e-16384', false],
  [`0.${zeros(16_382)}1`, true],
  [`0.${zeros(16_383)}1`, false],
  [`1.${zeros(16_384)}`, false], // trailing zeros count as scale
  ['0e-16383', true],
  ['0e-16384', false],
  ['0.0e-16383', false],
  ['123.456e-16380', true],
  ['1.5e-16383', false],
  ['0.00001e131076', true],
  ['0.00001e131077', false],
  ['1e0000000000000000000005', true], // leading zeros of an exponent
  ['1e99999999999999999999', false],
  ['0e99999999999999999999', false],
  ['1e-1000000000', false],
  ['1.7976931348623157e308', true],
  ['5e-324', true],
];

describe('jsonbNumbersFit', () => {
  it('knows the bounds', () => {
    for (const [token, fits] of BOUNDARY_NUMBERS) expect(jsonbNumbersFit(`{"a":[${token}]}`), token.slice(0, 40)).toBe(fits);
  });

  it('skips numbers inside strings, escapes included', () => {
    expect(jsonbNumbersFit('{"a":"1e999999","b\\"1e999999":"\\\\"}')).toBe(true);
    expect(jsonbNumbersFit('{"a":"x\\"","b":1e999999}')).toBe(false);
  });

  it('is always true for JSON.stringify output, finite doubles at their extremes included', () => {
    const extremes = { a: Number.MAX_VALUE, b: -Number.MAX_VALUE, c: Number.MIN_VALUE, d: -Number.MIN_VALUE, e: Number.EPSILON, f: 2 ** -1074 };
    expect(jsonbNumbersFit(JSON.stringify(extremes))).toBe(true);
    fc.assert(fc.property(fc.jsonValue(), (value) => jsonbNumbersFit(JSON.stringify(value))), { numRuns: 500 });
  });

  it('stores a body jsonb cannot hold as its text, in one JSON string', () => {
    const body = '{"n": 1e999999}';
    expect(rawJsonbText(body)).toBe(JSON.stringify(body));
    expect(rawJsonbText('{"n": 1e5}')).toBe('{"n": 1e5}');
    // Bytes that are not UTF-8 are shown as U+FFFD, as Buffer#toString shows them.
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xe2, 0x82, 0x22, 0x7d]); // {"a":"\xff\xe2\x82"}
    expect(JSON.parse(rawJsonbText(decodeRawBody(bytes)))).toEqual({ a: '\uFFFD\uFFFD' });
    expect(JSON.parse(rawJsonbText(decodeRawBody(bytes)))).toEqual(JSON.parse(bytes.toString('utf8')));
  });
});

/** A JSON number token near numeric's bounds: digits before and after the point, and an exponent. */
const numberToken = fc
  .record({
    sign: fc.constantFrom('', '-'),
    int: fc.oneof(fc.constant('0'), fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 60 })).map(([d, n]) => `${d}${zeros(n)}`)),
    frac: fc.option(fc.tuple(fc.integer({ min: 0, max: 16_390 }), fc.integer({ min: 0, max: 9 })).map(([n, d]) => `${zeros(n)}${d}`)),
    exp: fc.option(
      fc.oneof(
        fc.integer({ min: -140_000, max: 140_000 }),
        fc.integer({ min: 131_020, max: 131_080 }), // the leading digit's bound
        fc.integer({ min: -16_400, max: -16_330 }), // the scale's bound
      ),
    ),
  })
  .map(({ sign, int, frac, exp }) => `${sign}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : `e${exp}`}`);

describe.each(BACKENDS)('unstorable bodies on $name', ({ skip, open }) => {
  describe.skipIf(skip)('', () => {
    let db: Db;
    let dispose: () => Promise<void>;

    beforeAll(async () => {
      ({ db, dispose } = await open());
      await migrate(db);
    });
    afterAll(async () => {
      await dispose?.();
    });
    beforeEach(async () => {
      await db.query('truncate webhook_events, job_runs');
    });

    async function jsonbTakes(json: string): Promise<boolean> {
      try {
        await db.query('select $1::text::jsonb is not null as ok', [json]);
        return true;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== '22003') throw error;
        return false;
      }
    }

    it('jsonbNumbersFit agrees with the server at every bound', async () => {
      for (const [token, fits] of BOUNDARY_NUMBERS) {
        const json = `{"a":[${token}]}`;
        expect(await jsonbTakes(json), token.slice(0, 40)).toBe(fits);
        expect(jsonbNumbersFit(json), token.slice(0, 40)).toBe(fits);
      }
    });

    it('jsonbNumbersFit agrees with the server on numbers near the bounds', { timeout: 60_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(numberToken, async (token) => {
          const json = `[${token}]`;
          expect(jsonbNumbersFit(json), token.length > 60 ? `${token.slice(0, 30)}…(${token.length})…${token.slice(-20)}` : token).toBe(await jsonbTakes(json));
        }),
        { numRuns: 300 },
      );
    });

    const sink = () => createDatabaseSink(db);

    const bodies: Record<string, Buffer> = {
      'a 1e999999': Buffer.from('{"data":{"id":"evt_1","n":1e999999}}'),
      'a 200,000-digit number': Buffer.from(`{"data":{"id":"evt_2","n":${'7'.repeat(200_000)}}}`),
      'invalid UTF-8 in a string': Buffer.concat([Buffer.from('{"data":{"id":"evt_3","name":"caf'), Buffer.from([0xc3, 0x28, 0xff, 0xe2, 0x82, 0xed, 0xa0, 0x80]), Buffer.from('"}}')]),
      'an ordinary body, spaced and escaped as sent': Buffer.from('{ "data" : { "id" : "evt_4", "name": "caf\\u00e9 ☕", "n": 1.50 } }\n'),
      'a body with escapes jsonb refuses': Buffer.from('{"data":{"id":"evt_5","name":"\\u0000\\ud800"}}'),
      'a body that is not JSON': Buffer.from('a=1&b=\xff', 'latin1'),
    };

    it('stores each body, raw_bytes byte for byte, raw as JSON when jsonb can hold it', async () => {
      const deliveries = Object.keys(bodies).map((name, i) => ({
        event: sampleEvent({ id: `persona:evt_body_${i}`, subject: { id: `run_${i}` } }),
        raw: decodeRawBody(bodies[name]!),
      }));
      await sink().write(deliveries, AbortSignal.timeout(20_000));
      for (const [i, name] of Object.keys(bodies).entries()) {
        const stored = await storedBody(db, `persona:evt_body_${i}`);
        expect(stored?.bytes?.equals(bodies[name]!), name).toBe(true);
      }
      const stored = async (i: number) => (await storedBody(db, `persona:evt_body_${i}`))!;
      // jsonb cannot hold these numbers: the body's text, as one JSON string.
      expect(await stored(0)).toMatchObject({ rawIsText: true, raw: bodies['a 1e999999']!.toString() });
      expect((await stored(1)).rawIsText).toBe(true);
      expect((await stored(1)).raw).toBe(bodies['a 200,000-digit number']!.toString());
      // JSON it can hold, bytes that are not UTF-8 as U+FFFD (each maximal invalid sequence once).
      expect(await stored(2)).toMatchObject({ rawIsText: false, raw: { data: { id: 'evt_3', name: 'caf\uFFFD(\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD' } } });
      expect(await stored(3)).toMatchObject({ rawIsText: false, raw: { data: { id: 'evt_4', name: 'café ☕', n: 1.5 } } });
      expect(await stored(4)).toMatchObject({ rawIsText: false, raw: { data: { id: 'evt_5', name: '\uFFFD\uFFFD' } } });
      expect(await stored(5)).toMatchObject({ rawIsText: true, raw: 'a=1&b=\uFFFD' });
    });

    it('keeps a batch whole: an unstorable number next to ordinary events fails none of them', async () => {
      const deliveries = Array.from({ length: 20 }, (_, i) => ({
        event: sampleEvent({ id: `persona:evt_batch_${i}`, subject: { id: `batch_${i}` } }),
        raw: i % 5 === 0 ? `{"data":{"id":"evt_batch_${i}","n":1e999999}}` : `{"data":{"id":"evt_batch_${i}"}}`,
      }));
      await sink().write(deliveries, AbortSignal.timeout(20_000));
      const { rows } = await db.query<{ n: string }>('select count(*) as n from webhook_events where raw_bytes is not null');
      expect(Number(rows[0]?.n)).toBe(20);
    });

    it('stores the normalized event of any such body: its numbers are JSON.stringify output', async () => {
      const event = sampleEvent({ id: 'persona:evt_counts', counts: { total: Number.MAX_SAFE_INTEGER, failed: 0 } });
      await sink().write([{ event, raw: '{"n":1e999999}' }], AbortSignal.timeout(10_000));
      const { rows } = await db.query<{ event: { counts: unknown } }>(`select event from webhook_events where id = 'persona:evt_counts'`);
      expect(rows[0]?.event.counts).toEqual({ total: Number.MAX_SAFE_INTEGER, failed: 0 });
      expect(await jsonbTakes(JSON.stringify({ a: Number.MAX_VALUE, b: Number.MIN_VALUE, c: -Number.MAX_VALUE }))).toBe(true);
    });

    it('leaves raw_bytes null on rows stored before migration 3', async () => {
      await db.query(
        `insert into webhook_events (id, provider, type, category, status, subject_id, occurred_at, received_at, summary, event, raw)
         values ('persona:evt_old', 'persona', 't', 'import', 'failed', 's', now(), now(), 's', '{}', '{"a":1}')`,
      );
      expect(await storedBody(db, 'persona:evt_old')).toEqual({ bytes: null, raw: { a: 1 }, rawIsText: false });
      expect(await storedBody(db, 'persona:evt_missing')).toBeUndefined();
    });
  });
});
