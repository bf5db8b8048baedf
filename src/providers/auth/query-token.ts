import { UnauthorizedError } from '../../shared/errors.ts';
import { matchesAny } from '../../shared/crypto.ts';
import type { AuthContext, AuthScheme } from './auth-scheme.ts';

/** For senders that sign nothing: the URL they are given carries a secret token, `?token=<token>`. */
export function queryToken(): AuthScheme {
  return {
    checkHeaders(ctx: AuthContext, tokens: readonly string[]): void {
      if (!ctx.queryToken) throw new UnauthorizedError('missing token query parameter');
      if (!matchesAny(ctx.queryToken, tokens)) throw new UnauthorizedError('token does not match');
    },
    sign(_body: string, token: string) {
      return { headers: {}, query: { token } };
    },
    secretHeaders: [],
    secretQuery: ['token'],
    openApi: { queryToken: { type: 'apiKey', in: 'query', name: 'token', description: 'Compared with each configured token' } },
  };
}
