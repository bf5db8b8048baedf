import { randomBytes, randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { AdminAuth } from '../../src/admin/admin-auth.ts';
import { stripExternalLoads } from '../../src/admin/admin-router.ts';
import { html } from '../../src/admin/html.ts';
import { clientAddress } from '../../src/admin/login-limit.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/shared/errors.ts';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('ADMIN_TOKEN', () => {
  it('is off by default, and takes a strong token', () => {
    expect(loadConfig({}).adminToken).toBeUndefined();
    const base64 = randomBytes(32).toString('base64'); // openssl rand -base64 32
    const hex = randomBytes(32).toString('hex'); // openssl rand -hex 32
    expect(loadConfig({ ADMIN_TOKEN: base64 }).adminToken).toBe(base64);
    expect(loadConfig({ ADMIN_TOKEN: hex }).adminToken).toBe(hex);
    expect(loadConfig({ ADMIN_TOKEN: 'hl-Admin-Test-7Qz9xKp2WvL8nR3m' }).adminToken).toBe('hl-Admin-Test-7Qz9xKp2WvL8nR3m');
  });

  it.each([
    ['aaaaaaaaaaaaaaaa', /too short/],
    ['short-secret', /too short/],
    ['a-long-enough-admin-token', /too weak/], // lower case and symbols only, under 32 characters
    ['a'.repeat(40), /too weak/],
    ['abcdefghijklmnopqrstuvwxyzabcdefgh', /too weak/], // one kind only
    ['Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!', /too weak/], // four kinds, four characters
  ])('refuses the weak token %s at start-up, saying how to make one, without echoing it', (token, reason) => {
    const error = configError({ ADMIN_TOKEN: token });
    expect(error.variable).toBe('ADMIN_TOKEN');
    expect(error.message).toMatch(/^ADMIN_TOKEN: /);
    expect(error.message).toMatch(reason);
    expect(error.message).toContain('openssl rand -base64 32');
    expect(error.message).not.toContain(token);
  });
});

describe('TRUST_PROXY', () => {
  it('is off by default (the socket peer is the client), and takes a hop count, addresses, blocks and names', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toEqual(['loopback']);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,192.168.1.4, fd00::/8, uniquelocal' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      '192.168.1.4',
      'fd00::/8',
      'uniquelocal',
    ]);
  });

  it.each(['true', 'yes', '10.0.0.0/33', '10.0.0', 'loopback,nonsense', '999', ','])('stops on %j with one message naming TRUST_PROXY', (value) => {
    const error = configError({ TRUST_PROXY: value });
    expect(error.variable).toBe('TRUST_PROXY');
    expect(error.message).toMatch(/^TRUST_PROXY: /);
  });
});

describe('admin sessions in Redis', () => {
  const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
  const keyPrefix = `t${randomUUID().slice(0, 8)}:admin:session`;
  const token = 'hl-Unit-Test-Token-4xQ8pZ2mW7kR';
  const auth = new AdminAuth({ token, redis, keyPrefix });
  afterAll(async () => {
    const keys = await redis.keys(`${keyPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('accepts its own cookie, not a forged or altered one, nor one under another token', async () => {
    const { cookie, csrfToken } = await auth.openSession();
    expect(cookie).toMatch(/^[\w-]{43}\.[\w-]{43}$/); // a 256-bit id and its HMAC
    expect(cookie).not.toContain(token);
    expect((await auth.sessionFromCookie(cookie))?.csrfToken).toBe(csrfToken);
    const [id = '', mac = ''] = cookie.split('.');
    const flip = (text: string) => `${text.slice(0, -1)}${text.endsWith('A') ? 'B' : 'A'}`;
    expect(await auth.sessionFromCookie(`${flip(id)}.${mac}`)).toBeUndefined();
    expect(await auth.sessionFromCookie(`${id}.${flip(mac)}`)).toBeUndefined();
    expect(await auth.sessionFromCookie('garbage')).toBeUndefined();
    expect(await auth.sessionFromCookie(undefined)).toBeUndefined();
    expect(await new AdminAuth({ token: 'hl-Another-Token-9vB3nM6qT1yE', redis, keyPrefix }).sessionFromCookie(cookie)).toBeUndefined();
  });

  it('gives each session its own CSRF token, and stores neither the token nor a usable session id', async () => {
    const one = await auth.openSession();
    const two = await auth.openSession();
    expect(one.csrfToken).not.toBe(two.csrfToken);
    const keys = await redis.keys(`${keyPrefix}:*`);
    const stored = [...keys, ...(await Promise.all(keys.map((key) => redis.get(key))))].join('\n');
    for (const secret of [token, one.cookie.split('.')[0]!, two.cookie.split('.')[0]!]) expect(stored).not.toContain(secret);
  });

  it('ends a session on logout', async () => {
    const { cookie } = await auth.openSession();
    await auth.endSession(cookie);
    expect(await auth.sessionFromCookie(cookie)).toBeUndefined();
  });

  it('ends a session opened under another ADMIN_TOKEN (its stored fingerprint differs), and forgets it', async () => {
    const own = new AdminAuth({ token, redis, keyPrefix: `${keyPrefix}:fp` });
    const { cookie } = await own.openSession();
    const [key] = await redis.keys(`${keyPrefix}:fp:*`);
    expect(key).toBeDefined();
    // As if the session had been opened under another token (with this cookie key): the fingerprint differs.
    const stored = JSON.parse((await redis.get(key!)) ?? '{}') as Record<string, unknown>;
    await redis.set(key!, JSON.stringify({ ...stored, fingerprint: 'another-tokens-fingerprint' }), 'PX', 60_000);
    expect(await own.sessionFromCookie(cookie)).toBeUndefined();
    expect(await redis.exists(key!)).toBe(0);
  });

  it('expires a session in Redis after its lifetime (12 h; a short one here)', async () => {
    const shortLived = new AdminAuth({ token, redis, keyPrefix, maxAgeMs: 300 });
    const { cookie } = await shortLived.openSession();
    expect(await shortLived.sessionFromCookie(cookie)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await shortLived.sessionFromCookie(cookie)).toBeUndefined();
  });

  it('compares the token in full', () => {
    expect(auth.tokenMatches(token)).toBe(true);
    expect(auth.tokenMatches(token.slice(0, -1))).toBe(false);
    expect(auth.tokenMatches('')).toBe(false);
  });
});

describe('clientAddress', () => {
  const address = (ip: string) => clientAddress({ ip, socket: {} } as unknown as Request);
  it('counts IPv4 by address and IPv6 by its /64', () => {
    expect(address('203.0.113.7')).toBe('203.0.113.7');
    expect(address('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(address('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(address('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(address('2001:0db8:0001:0002:0:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(address('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(address('::1')).toBe('0:0:0:0::/64');
  });
});

describe('Bull Board page', () => {
  it('loses every element that loads from another host, and keeps its own', () => {
    const page =
      '<link rel="icon" href="static/images/logo.svg">\n' +
      '<link href="https://fonts.googleapis.com/css2?family=IBM+Plex+Sans&display=swap" rel="stylesheet">\n' +
      '<link href="//cdn.example/x.css" rel="stylesheet"><script src="https://cdn.example/x.js"></script>\n' +
      '<link href="static/css/main.css" rel="stylesheet"><script defer src="static/js/main.js"></script>';
    const stripped = stripExternalLoads(page);
    expect(stripped).not.toMatch(/https?:|\/\/cdn/);
    expect(stripped).toContain('static/css/main.css');
    expect(stripped).toContain('static/js/main.js');
    expect(stripped).toContain('static/images/logo.svg');
  });
});

describe('html', () => {
  it('escapes every interpolated value, in text and in attributes, but not its own fragments', () => {
    const hostile = `"><script>alert('x')</script>&`;
    const inner = html`<b>${hostile}</b>`;
    expect(html`<p title="${hostile}">${inner}${[hostile, 1]}</p>`.value).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">' +
        '<b>&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</b>' +
        '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;1</p>',
    );
  });
});
