import { describe, expect, it } from 'vitest';
import { AdminAuth } from '../../src/admin/admin-auth.ts';
import { html } from '../../src/admin/html.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/shared/errors.ts';

describe('ADMIN_TOKEN', () => {
  it('is off by default, and refused when short, without echoing it', () => {
    expect(loadConfig({}).adminToken).toBeUndefined();
    expect(loadConfig({ ADMIN_TOKEN: 'a-long-enough-admin-token' }).adminToken).toBe('a-long-enough-admin-token');
    let error: unknown;
    try {
      loadConfig({ ADMIN_TOKEN: 'short-secret' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('ADMIN_TOKEN');
    expect((error as ConfigError).message).not.toContain('short-secret');
  });
});

describe('admin sessions', () => {
  const auth = new AdminAuth('a-long-enough-admin-token');

  it('accepts its own cookie, not a forged, altered or expired one, nor one signed with another token', () => {
    const now = Date.now();
    const cookie = auth.newSessionCookie(now);
    expect(cookie).not.toContain('a-long-enough-admin-token');
    expect(auth.sessionFromCookie(cookie, now)?.csrfToken).toMatch(/^[\w-]{20,}$/);
    const [issued, nonce, mac] = cookie.split('.');
    expect(auth.sessionFromCookie(`${issued}.${nonce}x.${mac}`, now)).toBeUndefined();
    expect(auth.sessionFromCookie(`${Number(issued) + 1}.${nonce}.${mac}`, now)).toBeUndefined();
    expect(auth.sessionFromCookie(cookie, now + 13 * 3_600_000)).toBeUndefined();
    expect(new AdminAuth('another-admin-token-000').sessionFromCookie(cookie, now)).toBeUndefined();
    expect(auth.sessionFromCookie('garbage', now)).toBeUndefined();
  });

  it('gives each session its own CSRF token', () => {
    expect(auth.sessionFromCookie(auth.newSessionCookie())?.csrfToken).not.toBe(auth.sessionFromCookie(auth.newSessionCookie())?.csrfToken);
  });

  it('compares the token in full', () => {
    expect(auth.tokenMatches('a-long-enough-admin-token')).toBe(true);
    expect(auth.tokenMatches('a-long-enough-admin-toke')).toBe(false);
    expect(auth.tokenMatches('')).toBe(false);
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
