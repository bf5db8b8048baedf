import type { Request, Response } from 'express';
import type { AdminSession } from './admin-auth.ts';
import type { SafeHtml } from './html.ts';

/** Our pages run no script and load nothing: every value on them is escaped, and this is the second wall. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function sendPage(res: Response, status: number, page: SafeHtml): void {
  res.status(status).setHeader('Content-Security-Policy', PAGE_CSP).type('html').send(page.value);
}

export function sessionOf(res: Response): AdminSession {
  return res.locals.session as AdminSession;
}

export function firstString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

export function queryStrings(req: Request): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(req.query).map(([name, value]) => [name, firstString(value)]));
}

/** Every value of a repeated query parameter (`?watch=a&watch=b`), strings only. */
export function queryList(req: Request, name: string): string[] {
  const value = req.query[name];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
