import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../src/normalizers/normalize.ts';
import { NormalizeError } from '../../src/shared/errors.ts';
import { PROVIDER_IDS, isProviderId, type ProviderId } from '../../src/providers/registry.ts';
import { FIXTURES_DIR } from '../support/fixtures.ts';

/*
 * Every payload under test/fixtures/<provider>/ (the providers' samples) and its variants/ folder
 * (ours) is normalized and compared with the reviewed `<name>.expected.json` next to it: either the
 * whole NormalizedEvent or {"throws": "<NormalizeError message>"}. Variants live in a subfolder
 * because the ingress tests post every top-level sample and expect the body-hash key for new ones.
 */

const RECEIVED_AT = '2026-01-01T00:00:00.000Z';
const EXPECTED_SUFFIX = '.expected.json';

function payloadFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json') && !file.endsWith(EXPECTED_SUFFIX))
    .sort()
    .map((file) => join(dir, file));
}

function expectedFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((file) => file.endsWith(EXPECTED_SUFFIX)).map((file) => join(dir, file));
}

function catchError(run: () => unknown): Error | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  return undefined;
}

const providerDirs = readdirSync(FIXTURES_DIR).filter((entry) => statSync(join(FIXTURES_DIR, entry)).isDirectory());

describe('fixture folders', () => {
  it('each belongs to a registered normalizer', () => {
    const unregistered = providerDirs.filter((dir) => !isProviderId(dir));
    expect(unregistered, 'fixture folders without a normalizer').toEqual([]);
  });

  it('exist for every registered normalizer', () => {
    for (const provider of PROVIDER_IDS) expect(payloadFiles(join(FIXTURES_DIR, provider)).length).toBeGreaterThan(0);
  });

  it('hold no expected file without its payload', () => {
    const orphans = providerDirs
      .flatMap((provider) => [join(FIXTURES_DIR, provider), join(FIXTURES_DIR, provider, 'variants')])
      .flatMap(expectedFiles)
      .filter((file) => !existsSync(file.slice(0, -EXPECTED_SUFFIX.length) + '.json'))
      .map((file) => relative(FIXTURES_DIR, file));
    expect(orphans).toEqual([]);
  });
});

const cases = providerDirs.filter(isProviderId).flatMap((provider: ProviderId) =>
  [join(FIXTURES_DIR, provider), join(FIXTURES_DIR, provider, 'variants')].flatMap(payloadFiles).map((file) => ({
    provider,
    file,
    name: basename(file, '.json'),
    fixture: relative(FIXTURES_DIR, file),
  })),
);

describe('every fixture normalizes to its reviewed expected output', () => {
  it.each(cases)('$fixture', ({ provider, file, name }) => {
    const expectedFile = file.slice(0, -'.json'.length) + EXPECTED_SUFFIX;
    expect(existsSync(expectedFile), `missing ${relative(FIXTURES_DIR, expectedFile)}`).toBe(true);
    const expected: unknown = JSON.parse(readFileSync(expectedFile, 'utf8'));
    const raw = { provider, key: `${provider}:${name}`, receivedAt: RECEIVED_AT, body: readFileSync(file, 'utf8'), headers: {} };

    if (typeof expected === 'object' && expected !== null && 'throws' in expected) {
      const thrown = catchError(() => normalize(raw));
      expect(thrown).toBeInstanceOf(NormalizeError);
      expect(thrown?.message).toBe(expected.throws);
      return;
    }
    expect(normalize(raw)).toStrictEqual(expected);
  });
});
