import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../src/providers/registry.ts';
import { startTestIngress } from '../support/harness.ts';

type Line = { level: number; msg: string; endpoints?: string[] };
const lines = (text: string): Line[] => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Line);

describe('the ingress start-up lines', () => {
  it('list the webhook endpoints that are on', async () => {
    const t = await startTestIngress({ [PROVIDERS[0].credential.variable]: 'only-this-one-0123456789' , ...Object.fromEntries(PROVIDERS.slice(1).map((p) => [p.credential.variable, ''])) });
    try {
      const listening = lines(t.logs.text).find((line) => line.msg.startsWith('ingress listening'));
      expect(listening?.endpoints).toEqual([`POST /webhooks/${PROVIDERS[0].id}`]);
      expect(listening?.msg).toContain(`POST /webhooks/${PROVIDERS[0].id}`);
      expect(lines(t.logs.text).some((line) => line.level === 40)).toBe(false);
    } finally {
      await t.close();
    }
  });

  it('warn, naming the variables, when no provider is configured', async () => {
    const t = await startTestIngress(Object.fromEntries(PROVIDERS.map((p) => [p.credential.variable, ''])));
    try {
      const warning = lines(t.logs.text).find((line) => line.level === 40);
      expect(warning?.msg).toMatch(/every webhook endpoint answers 404/);
      for (const provider of PROVIDERS) expect(warning?.msg).toContain(provider.credential.variable);
    } finally {
      await t.close();
    }
  });
});
