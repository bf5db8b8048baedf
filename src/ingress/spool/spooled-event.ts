import { z } from 'zod';
import type { RawEvent } from '../../queue/contract.ts';
import { PROVIDER_IDS } from '../../providers/registry.ts';

const rawEventSchema = z.object({
  provider: z.enum(PROVIDER_IDS),
  key: z.string().min(1),
  receivedAt: z.string(),
  body: z.string(),
  headers: z.record(z.string(), z.string()),
});

export function encodeSpooledEvent(event: RawEvent): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

/** A record that passed its checksum but is not an event was written by something else: skipped. */
export function decodeSpooledEvent(payload: Buffer): RawEvent | undefined {
  try {
    const parsed = rawEventSchema.safeParse(JSON.parse(payload.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
