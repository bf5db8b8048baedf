import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EVENT_CATEGORIES, EVENT_STATUSES, type EventStatus } from '../normalizers/normalized-event.ts';
import { ConfigError } from '../shared/errors.ts';
import { PROVIDER_IDS } from '../providers/registry.ts';
import type { RouteFilter } from './config.ts';

/** What SPEC section 4 gives a destination that names no statuses. */
export const DEFAULT_ALERT_STATUSES: readonly EventStatus[] = ['failed', 'partial'];

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Slack only serves https; plain http is allowed for a stand-in on this machine. */
export function slackUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected a URL starting with https://';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && (LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith('127.'))) return undefined;
  return url.protocol === 'http:' ? 'expected https:// (plain http only for a loopback address)' : 'expected a URL starting with https://';
}

const emailAddressPattern = /^[^\s@<>]+@[^\s@<>]+$|^.*<[^\s@<>]+@[^\s@<>]+>$/;

const filterShape = {
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, { error: 'expected "name" of lower-case letters, digits, _ or - (at most 40)' })
    .optional(),
  providers: z.array(z.enum(PROVIDER_IDS, { error: `expected providers among ${PROVIDER_IDS.join(', ')}` })).min(1).optional(),
  categories: z
    .array(z.enum(EVENT_CATEGORIES, { error: `expected categories among ${EVENT_CATEGORIES.join(', ')}` }))
    .min(1)
    .optional(),
  statuses: z.array(z.enum(EVENT_STATUSES, { error: `expected statuses among ${EVENT_STATUSES.join(', ')}` })).min(1).optional(),
};

const slackRouteSchema = z.strictObject({
  url: z.string({ error: 'expected "url": the incoming webhook URL' }).superRefine((value, ctx) => {
    const problem = slackUrlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `"url": ${problem}` });
  }),
  ...filterShape,
});

const emailRouteSchema = z.strictObject({
  to: z
    .array(z.string().regex(emailAddressPattern, { error: '"to": expected email addresses' }), { error: 'expected "to": a list of addresses' })
    .min(1, { error: '"to" is empty: expected at least one address' }),
  ...filterShape,
});

export type SlackRoute = { name: string | undefined; url: string; filter: RouteFilter };
export type EmailRoute = { name: string | undefined; to: string[]; filter: RouteFilter };

export function parseSlackRoutes(variable: string, raw: string | undefined): SlackRoute[] {
  return parseRoutes(variable, raw, slackRouteSchema).map((route) => ({ name: route.name, url: route.url, filter: toFilter(route) }));
}

export function parseEmailRoutes(variable: string, raw: string | undefined): EmailRoute[] {
  return parseRoutes(variable, raw, emailRouteSchema).map((route) => ({ name: route.name, to: route.to, filter: toFilter(route) }));
}

function parseRoutes<S extends z.ZodType>(variable: string, raw: string | undefined, schema: S): Array<z.output<S>> {
  if (raw === undefined || raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Never the text itself: it holds webhook URLs.
    throw new ConfigError(variable, `not valid JSON (${raw.length} characters): expected an array of routes`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError(variable, 'expected a JSON array of routes');
  return parsed.map((route: unknown, index) => {
    const result = schema.safeParse(route);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue && issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue?.message;
      throw new ConfigError(variable, `route ${index}: ${where ?? 'invalid route'}`);
    }
    return result.data;
  });
}

function toFilter(route: { providers?: readonly string[] | undefined; categories?: readonly string[] | undefined; statuses?: readonly string[] | undefined }): RouteFilter {
  return {
    providers: route.providers ? (new Set(route.providers) as RouteFilter['providers']) : undefined,
    categories: route.categories ? (new Set(route.categories) as RouteFilter['categories']) : undefined,
    statuses: new Set((route.statuses ?? DEFAULT_ALERT_STATUSES) as EventStatus[]),
  };
}

/** A destination id that is stable across restarts and reorderings, and reveals nothing of the URL. */
export function derivedDestinationId(kind: 'slack' | 'email', identity: string): string {
  return `${kind}-${createHash('sha256').update(identity).digest('hex').slice(0, 10)}`;
}
