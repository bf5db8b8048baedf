import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderId } from '../../src/providers/registry.ts';

export const FIXTURES_DIR = new URL('../fixtures/', import.meta.url).pathname;

/** A provider's sample payloads, byte-exact as captured (file name → raw body). */
export function fixtures(provider: ProviderId): Array<{ name: string; body: string }> {
  const dir = join(FIXTURES_DIR, provider);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json') && !file.endsWith('.expected.json'))
    .sort()
    .map((file) => ({ name: file.replace(/\.json$/, ''), body: readFileSync(join(dir, file), 'utf8') }));
}

export function fixture(provider: ProviderId, name: string): string {
  return readFileSync(join(FIXTURES_DIR, provider, `${name}.json`), 'utf8');
}
