import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.ts';
import { ConfigError } from '../src/shared/errors.ts';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs on embedded defaults with nothing set: every provider off, database embedded, no Slack or email', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.credentials).toEqual({});
    expect(config.database).toEqual({ kind: 'embedded', dataDir: './data' });
    expect(config.slack).toBeUndefined();
    expect(config.email).toBeUndefined();
    expect(config.toleranceSeconds).toBe(300);
    expect(config.maxBodyBytes).toBe(1_048_576);
    expect(config.dedupWindowSeconds).toBe(7 * 86_400);
  });

  it('splits comma-separated secrets for rotation and drops blanks', () => {
    const config = loadConfig({ PERSONA_WEBHOOK_SECRET: ' new , old,', REACHFIVE_WEBHOOK_AUTHORIZATION: 'Bearer abc' });
    expect(config.credentials.persona).toEqual(['new', 'old']);
    expect(config.credentials.reachfive).toEqual(['Bearer abc']);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', PRIMER_WEBHOOK_SECRET: '  ' }).credentials.primer).toBeUndefined();
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ WEBHOOK_TOLERANCE_SECONDS: '-5' }, 'WEBHOOK_TOLERANCE_SECONDS'],
    [{ MAX_BODY_BYTES: '1.5' }, 'MAX_BODY_BYTES'],
    [{ SLACK_WEBHOOK_URL: 'not a url' }, 'SLACK_WEBHOOK_URL'],
    [{ SLACK_STATUSES: 'failed,exploded' }, 'SLACK_STATUSES'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ SMTP_URL: 'smtp://localhost:25', EMAIL_FROM: 'a@b.c' }, 'EMAIL_TO'],
    [{ EMAIL_TO: 'ops@example.com' }, 'SMTP_URL'],
  ])('stops on %j with one message naming %s', (env, variable) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('never echoes a secret value in its message', () => {
    const error = configError({ SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T000/B000/SECRETSECRET' });
    expect(error.message).not.toContain('SECRETSECRET');
  });

  it('keeps the email sink and status filters when all three email variables are set', () => {
    const config = loadConfig({
      SMTP_URL: 'smtp://127.0.0.1:2525',
      EMAIL_FROM: 'hookline@example.com',
      EMAIL_TO: 'a@example.com, b@example.com',
      EMAIL_STATUSES: 'failed,partial',
    });
    expect(config.email?.to).toEqual(['a@example.com', 'b@example.com']);
    expect([...(config.email?.statuses ?? [])]).toEqual(['failed', 'partial']);
  });
});

describe('alert routes and pacing', () => {
  const slackUrl = 'https://hooks.slack.com/services/T000/B000/SECRETSECRET';

  it('defaults to failed,partial, Slack at 1 per second, email at 6 per minute, stuck per provider', () => {
    const config = loadConfig({
      SLACK_WEBHOOK_URL: slackUrl,
      SMTP_URL: 'smtp://127.0.0.1:2525',
      EMAIL_FROM: 'hookline@example.com',
      EMAIL_TO: 'ops@example.com',
    });
    expect([...(config.slack?.statuses ?? [])]).toEqual(['failed', 'partial']);
    expect([...(config.email?.statuses ?? [])]).toEqual(['failed', 'partial']);
    expect(config.destinations.map((d) => d.id)).toEqual(['slack', 'email']);
    expect(config.slack?.maxPerSecond).toBe(1);
    expect(config.email?.maxPerMinute).toBe(6);
    expect(config.alerts.stuckAfterSeconds.persona).toBe(7_200);
    expect(config.alerts.stuckAfterSeconds.reachfive).toBe(0);
    expect(config.alerts.publicUrl).toBeUndefined();
  });

  it('STUCK_AFTER_SECONDS applies to every provider, a provider variable overrides it, 0 turns it off', () => {
    const config = loadConfig({ STUCK_AFTER_SECONDS: '600', PERSONA_STUCK_AFTER_SECONDS: '0' });
    expect(config.alerts.stuckAfterSeconds).toMatchObject({ persona: 0, reachfive: 600, primer: 600 });
  });

  it('adds route destinations with their own filters and stable, URL-free ids', () => {
    const routes = JSON.stringify([
      { url: 'https://hooks.slack.com/services/T1/B1/identity', providers: ['persona'] },
      { url: 'http://127.0.0.1:9/crm', name: 'crm', providers: ['reachfive', 'personaclick'], statuses: ['failed', 'partial', 'succeeded'] },
    ]);
    const config = loadConfig({
      SLACK_ROUTES: routes,
      SMTP_URL: 'smtp://127.0.0.1:2525',
      EMAIL_FROM: 'hookline@example.com',
      EMAIL_ROUTES: JSON.stringify([{ to: ['crm@example.com'], categories: ['import'] }]),
      PUBLIC_URL: 'https://hookline.example.com/',
    });
    const [identity, crm, mail] = config.destinations;
    expect(identity?.id).toMatch(/^slack-[0-9a-f]{10}$/);
    expect(identity?.id).not.toContain('identity');
    expect(crm?.id).toBe('slack-crm');
    expect([...(crm?.filter.providers ?? [])]).toEqual(['reachfive', 'personaclick']);
    expect([...(identity?.filter.statuses ?? [])]).toEqual(['failed', 'partial']);
    expect(mail).toMatchObject({ kind: 'email', to: ['crm@example.com'] });
    expect([...(mail?.filter.categories ?? [])]).toEqual(['import']);
    expect(config.alerts.publicUrl).toBe('https://hookline.example.com');
    // Same routes, same ids: delivery records and queues survive a restart.
    expect(loadConfig({ SLACK_ROUTES: routes }).destinations[0]?.id).toBe(identity?.id);
  });

  it.each([
    [{ SLACK_ROUTES: '[{"url": ' }, 'SLACK_ROUTES', 'not valid JSON'],
    [{ SLACK_ROUTES: '{"url": "https://x.example"}' }, 'SLACK_ROUTES', 'expected a JSON array'],
    [{ SLACK_ROUTES: '[{"url": "https://a.example/x"}, {"url": "https://b.example/y", "providers": ["nope"]}]' }, 'SLACK_ROUTES', 'route 1: expected providers'],
    [{ SLACK_ROUTES: '[{"url": "https://a.example/x", "statuses": ["exploded"]}]' }, 'SLACK_ROUTES', 'route 0: expected statuses'],
    [{ SLACK_ROUTES: '[{"url": "http://hooks.example.com/x"}]' }, 'SLACK_ROUTES', 'route 0: "url": expected https://'],
    [{ SLACK_ROUTES: '[{"url": "https://a.example/x", "channel": "#ops"}]' }, 'SLACK_ROUTES', 'route 0: unknown field(s) "channel"'],
    [{ SLACK_WEBHOOK_URL: 'http://hooks.example.com/x' }, 'SLACK_WEBHOOK_URL', 'expected https://'],
    [{ SMTP_URL: 'smtp://127.0.0.1:25', EMAIL_FROM: 'a@b.c', EMAIL_ROUTES: '[{"to": []}]' }, 'EMAIL_ROUTES', 'route 0: "to" is empty'],
    [{ EMAIL_ROUTES: '[{"to": ["a@example.com"]}]' }, 'SMTP_URL', 'EMAIL_ROUTES sends over SMTP_URL'],
    [{ EMAIL_MAX_PER_MINUTE: '0' }, 'EMAIL_MAX_PER_MINUTE', 'expected at least 1'],
    [{ STUCK_AFTER_SECONDS: '-1' }, 'STUCK_AFTER_SECONDS', 'expected a whole number'],
    [{ PUBLIC_URL: 'hookline.example.com' }, 'PUBLIC_URL', 'expected a URL'],
  ])('stops on %j naming %s: %s', (env, variable, message) => {
    const error = configError(env as Record<string, string>);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(message);
  });

  it('refuses two routes to one webhook, and never echoes a route URL', () => {
    const error = configError({ SLACK_WEBHOOK_URL: slackUrl, SLACK_ROUTES: JSON.stringify([{ url: slackUrl }]) });
    expect(error.message).toContain('route 0: the same webhook URL as SLACK_WEBHOOK_URL');
    expect(error.message).not.toContain('SECRETSECRET');
    const bad = configError({ SLACK_ROUTES: `[{"url": "${slackUrl}", "providers": "persona"}]` });
    expect(bad.message).not.toContain('SECRETSECRET');
  });
});
