import { describe, expect, it } from 'vitest';
import { camelCase, camelCaseKeys } from '../../src/providers/persona/keys.ts';
import { summarize } from '../../src/normalizers/summary.ts';
import { firstTimestamp, toIsoUtc } from '../../src/normalizers/time.ts';

describe('toIsoUtc', () => {
  it.each([
    ['2024-01-15T11:05:15.732Z', '2024-01-15T11:05:15.732Z'],
    ['2026-04-07T10:12:30Z', '2026-04-07T10:12:30.000Z'],
    // Primer: no zone (UTC), microseconds, and a space for the T
    ['2024-02-21 15:36:16.167687', '2024-02-21T15:36:16.167Z'],
    ['2024-03-07T12:20:14.394429', '2024-03-07T12:20:14.394Z'],
    ['2024-03-07T12:20', '2024-03-07T12:20:00.000Z'],
    ['2024-01-17T02:40:00.000+01:00', '2024-01-17T01:40:00.000Z'],
    ['2024-01-01T00:30:00-0130', '2024-01-01T02:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['  2024-02-29T00:00:00z  ', '2024-02-29T00:00:00.000Z'],
  ])('%s → %s', (input, expected) => {
    expect(toIsoUtc(input)).toBe(expected);
  });

  it.each([
    ['2024-02-30T00:00:00Z'],
    ['2023-02-29T00:00:00Z'],
    ['2024-13-01T00:00:00Z'],
    ['2024-01-01T24:00:00Z'],
    ['2024-01-01T23:60:00Z'],
    ['2024-01-01T00:00:00+25:00'],
    ['9999-12-31T23:30:00-01:00'],
    ['2024-01-15'],
    ['yesterday'],
    ['1705316715'],
    [''],
  ])('%s is not a usable timestamp', (input) => {
    expect(toIsoUtc(input)).toBeUndefined();
  });

  it('reads only strings', () => {
    for (const value of [1705316715, null, undefined, {}, ['2024-01-15T11:05:15Z']]) expect(toIsoUtc(value)).toBeUndefined();
  });

  it('firstTimestamp takes the first usable candidate, else the fallback', () => {
    expect(firstTimestamp([undefined, 'bad', '2024-01-01T00:00:00Z'], 'F')).toBe('2024-01-01T00:00:00.000Z');
    expect(firstTimestamp([], 'F')).toBe('F');
  });
});

describe('Persona key inflection', () => {
  it.each([
    ['run-data', 'runData'],
    ['run_data', 'runData'],
    ['runData', 'runData'],
    ['estimated-total-count', 'estimatedTotalCount'],
    ['name', 'name'],
    ['_links', '_links'],
    ['__proto__', '__proto__'],
  ])('%s → %s', (key, expected) => {
    expect(camelCase(key)).toBe(expected);
  });

  it('rewrites keys deeply, through arrays, and leaves values alone', () => {
    expect(camelCaseKeys({ 'a-b': [{ c_d: 'e-f' }], g: { 'h-i': null } })).toEqual({ aB: [{ cD: 'e-f' }], g: { hI: null } });
  });
});

describe('summarize', () => {
  it('quotes a name, not an id, and joins the detail with a colon', () => {
    expect(summarize('ReachFive', { what: 'import', label: { name: 'User import', id: 'j' }, status: 'partial', detail: '1 of 3 operations failed' })).toBe(
      "ReachFive import 'User import' finished with errors: 1 of 3 operations failed",
    );
    expect(summarize('PersonaClick', { what: 'product import', label: { id: '123456' }, status: 'succeeded' })).toBe(
      'PersonaClick product import 123456 succeeded',
    );
  });

  it('keeps a long or multi-line detail to one short line', () => {
    const summary = summarize('Primer', { what: 'workflow', status: 'failed', detail: `line one\nline two ${'x'.repeat(1000)}` });
    expect(summary).toMatch(/^Primer workflow failed: line one line two x+…$/);
    expect(summary.length).toBeLessThan(320);
  });
});
