import { createRequire } from 'node:module';
import { verify } from '@octokit/webhooks-methods';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../src/normalizers/normalize.ts';
import { providerOf } from '../../src/providers/registry.ts';

/*
 * Every workflow_run and workflow_job example GitHub publishes (@octokit/webhooks-examples, for
 * github.com and each GitHub Enterprise Server version it covers) normalizes, with the status SPEC
 * section 5 and the README give — the table below is written from those, not from the normalizer.
 */

type Example = {
  action: string;
  workflow_run?: { status?: string; conclusion?: string | null };
  workflow_job?: { status?: string; conclusion?: string | null };
};
type ExampleSet = { name: string; examples: Example[] };

const require = createRequire(import.meta.url);
const TARGETS = ['api.github.com', 'ghes-35', 'ghes-34', 'ghes-33', 'ghes-32', 'ghes-31'];

const STATUS: Record<string, string> = {
  requested: 'started',
  queued: 'started',
  waiting: 'started',
  in_progress: 'running',
  'completed/success': 'succeeded',
  'completed/neutral': 'succeeded',
  'completed/failure': 'failed',
  'completed/timed_out': 'failed',
  'completed/startup_failure': 'failed',
  'completed/cancelled': 'canceled',
  'completed/skipped': 'canceled',
  'completed/stale': 'canceled',
  'completed/action_required': 'paused',
};

const cases = TARGETS.flatMap((target) => {
  const sets = require(`@octokit/webhooks-examples/${target}/index.json`) as ExampleSet[];
  return sets
    .filter((set) => set.name === 'workflow_run' || set.name === 'workflow_job')
    .flatMap((set) => set.examples.map((example, index) => ({ label: `${target} ${set.name}[${index}] ${example.action}`, event: set.name, example })));
});

describe('GitHub examples from @octokit/webhooks-examples', () => {
  it('are many', () => {
    expect(cases.length).toBeGreaterThanOrEqual(13);
  });

  it.each(cases)('$label normalizes with the documented status', ({ event, example }) => {
    const body = JSON.stringify(example);
    const conclusion = (event === 'workflow_run' ? example.workflow_run?.conclusion : example.workflow_job?.conclusion) ?? undefined;
    const normalized = normalize({
      provider: 'github',
      key: 'github:72d3162e-cc78-11e3-81ab-4c9367dc0958',
      receivedAt: '2026-01-01T00:00:00.000Z',
      body,
      headers: { 'x-github-event': event },
    });
    const state = (event === 'workflow_run' ? example.workflow_run?.status : example.workflow_job?.status) ?? 'completed';
    // One example says "completed" of a run still queued, without a conclusion: its status decides.
    const action = example.action === 'completed' && conclusion === undefined && state !== 'completed' ? state : example.action;
    const expected = action === 'completed' ? STATUS[`completed/${conclusion}`] : STATUS[action];
    expect(normalized.status).toBe(expected);
    expect(normalized.category).toBe('workflow');
    expect(normalized.type).toBe(`${event}.${example.action}`);
    const repository = (example as unknown as { repository: { full_name: string } }).repository.full_name;
    expect(normalized.subject.name).toContain(repository);
    expect(normalized.parent?.name).toContain(repository);
  });

  it("the definition's signature is one @octokit/webhooks-methods verifies", async () => {
    const body = JSON.stringify(cases[0]?.example);
    const signed = providerOf('github').auth.sign(body, 'It’s a Secret to Everybody', 0);
    expect(await verify('It’s a Secret to Everybody', body, signed.headers['x-hub-signature-256'] ?? '')).toBe(true);
    expect(await verify('another secret', body, signed.headers['x-hub-signature-256'] ?? '')).toBe(false);
  });
});
