import type { z } from 'zod';
import { NormalizeError } from '../shared/errors.ts';

function describePath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

/** "data.attributes.name: expected string, received undefined": the first issue, on one line. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'payload does not match the expected shape';
  const message = issue.message.replace(/^Invalid input: /, '');
  const path = describePath(issue.path);
  return path ? `${path}: ${message}` : `payload: ${message}`;
}

/** Parses with `schema` or throws a NormalizeError naming the first problem (normalize.ts names the provider). */
export function parsePayload<Schema extends z.ZodType>(schema: Schema, payload: unknown): z.output<Schema> {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  throw new NormalizeError(describeIssue(result.error), { cause: result.error });
}
