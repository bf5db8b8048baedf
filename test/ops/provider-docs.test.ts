import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../../scripts/provider-docs.ts';
import { configVariableNames } from '../../src/config/load-config.ts';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
/** Read by docker compose itself, never by hookline. */
const COMPOSE_ONLY = ['HOOKLINE_PORT', 'HOOKLINE_ADMIN_PORT', 'POSTGRES_PASSWORD'];

describe('what lists providers is generated from the registry', () => {
  it.each(generatedFiles())('$file is up to date (npx tsx scripts/provider-docs.ts)', ({ current, expected }) => {
    expect(current).toBe(expected);
  });
});

describe('.env.example', () => {
  const listed = [...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] ?? '');

  it('lists every variable hookline reads, once', () => {
    const missing = configVariableNames().filter((name) => !listed.includes(name));
    expect(missing).toEqual([]);
    expect(listed.length).toBe(new Set(listed).size);
  });

  it('lists nothing hookline does not read, but what compose reads', () => {
    const known = new Set([...configVariableNames(), ...COMPOSE_ONLY]);
    expect(listed.filter((name) => !known.has(name))).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  it('passes only variables hookline or compose knows', () => {
    const known = new Set([...configVariableNames(), ...COMPOSE_ONLY]);
    const used = [...read('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((match) => match[1] ?? '');
    expect(used.filter((name) => !known.has(name))).toEqual([]);
  });
});
