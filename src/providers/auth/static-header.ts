import { UnauthorizedError } from '../../shared/errors.ts';
import { matchesAny } from '../../shared/crypto.ts';
import { headerTitle, headerValue, type AuthContext, type AuthScheme } from './auth-scheme.ts';

/** The whole header value must equal one configured value (e.g. `Basic …`, `Bearer …`). */
export function staticHeader(headerName: string): AuthScheme {
  return {
    checkHeaders(ctx: AuthContext, values: readonly string[]): void {
      const received = headerValue(ctx.headers, headerName);
      if (!received) throw new UnauthorizedError(`missing ${headerName} header`);
      if (!matchesAny(received.trim(), values)) throw new UnauthorizedError(`${headerName} does not match`);
    },
    sign(_body: string, value: string) {
      return { headers: { [headerName]: value }, query: {} };
    },
    secretHeaders: [headerName],
    secretQuery: [],
    openApi:
      headerName === 'authorization'
        ? {
            basicAuthorization: { type: 'http', scheme: 'basic', description: 'Compared whole with a configured value' },
            bearerAuthorization: { type: 'http', scheme: 'bearer', description: 'Compared whole with a configured value' },
          }
        : { [headerName]: { type: 'apiKey', in: 'header', name: headerTitle(headerName), description: 'Compared whole with a configured value' } },
  };
}
