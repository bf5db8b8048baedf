import { describe, expect, it } from 'vitest';
import { jsonbText, pgText, rawJsonbText } from '../../src/db/pg-text.ts';

describe('text PostgreSQL accepts', () => {
  it('replaces NUL and lone surrogates, keeps valid pairs', () => {
    expect(pgText('a\u0000b')).toBe('a\uFFFDb');
    expect(pgText('x\uD800y\uDC00z')).toBe('x\uFFFDy\uFFFDz');
    expect(pgText('ok 😀')).toBe('ok 😀');
  });

  it('passes ordinary JSON through untouched, byte for byte', () => {
    expect(jsonbText('{"z":1,  "a":"\\u00e9"}')).toBe('{"z":1,  "a":"\\u00e9"}');
    // A valid surrogate pair escape is kept as the same character.
    expect(JSON.parse(jsonbText('{"a":"\\ud83d\\ude00"}'))).toEqual({ a: '😀' });
  });

  it('cleans escapes jsonb refuses, in values and keys', () => {
    expect(JSON.parse(jsonbText('{"\\u0000":"\\ud800x"}'))).toEqual({ '\uFFFD': '\uFFFDx' });
  });

  it('stores a body that is not JSON as a JSON string', () => {
    expect(rawJsonbText('a=1&b=2')).toBe('"a=1&b=2"');
    expect(rawJsonbText('')).toBe('""');
    expect(rawJsonbText('[1,2]')).toBe('[1,2]');
  });
});
