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
