import { CliError } from './cli-error.ts';

export type AdminClient = {
  readonly baseUrl: string;
  get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T>;
  post<T>(path: string, body: Record<string, unknown>): Promise<T>;
};

/** A running hookline's /admin API (src/admin/admin-router.ts), with `Authorization: Bearer <ADMIN_TOKEN>`. */
export function adminClient(baseUrl: string, token: string | undefined): AdminClient {
  if (!token) throw new CliError(`asking the hookline at ${baseUrl} needs its ADMIN_TOKEN (set ADMIN_TOKEN, or pass --token)`);
  const root = `${baseUrl.replace(/\/+$/, '')}/admin/api`;

  async function call<T>(method: 'GET' | 'POST', path: string, query: Record<string, string | number | undefined>, body?: Record<string, unknown>): Promise<T> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
    const search = params.size > 0 ? `?${params.toString()}` : '';
    let response: Response;
    try {
      response = await fetch(`${root}/${path}${search}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new CliError(`hookline at ${baseUrl} did not answer: ${reasonOf(error)}`);
    }
    const text = await response.text();
    const answer = parseJson(text);
    if (response.ok && answer !== undefined) return answer as T;
    const error = typeof answer === 'object' && answer !== null && 'error' in answer ? String(answer.error) : undefined;
    const message = typeof answer === 'object' && answer !== null && 'message' in answer ? String(answer.message) : text.slice(0, 200);
    if (response.status === 404 && error === 'no_such_event') throw new NotFoundError(message);
    if (response.status === 404) throw new CliError(`hookline at ${baseUrl} serves no /admin/api/${path.split('/')[0] ?? ''}: is ADMIN_TOKEN set for it, and is it a worker or all-in-one process?`);
    if (response.status === 401) throw new CliError(`hookline at ${baseUrl} refused the token (ADMIN_TOKEN or --token)`);
    if (response.status === 400) throw new CliError(`hookline at ${baseUrl} refused the request: ${message}`, 2);
    throw new CliError(`hookline at ${baseUrl} answered ${response.status}: ${message}`);
  }

  return {
    baseUrl,
    get: (path, query = {}) => call('GET', path, query),
    post: (path, body) => call('POST', path, {}, body),
  };
}

/** The API's answer for an event key it does not know. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** fetch says only "fetch failed"; the cause says why (ECONNREFUSED, a timeout). */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error) return `${error.message} (${'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message})`;
  return error.message;
}
