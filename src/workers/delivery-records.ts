import type { Redis } from 'ioredis';
import { sha256Hex } from '../shared/crypto.ts';

/**
 * Slack and email cannot deduplicate for us, so each delivery is recorded in Redis after it
 * succeeds, for as long as the event key is remembered at the ingress. A job redelivered after a
 * crash, or replayed, sees the record and does not post again. A crash between the post and the
 * record can still repeat one message: that window is the time of one Redis write.
 */
export class DeliveryRecords {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  private key(sink: string, eventKey: string): string {
    return `${this.prefix}:delivered:${sink}:${sha256Hex(eventKey)}`;
  }

  async wasDelivered(sink: string, eventKey: string): Promise<boolean> {
    return (await this.redis.exists(this.key(sink, eventKey))) === 1;
  }

  async markDelivered(sink: string, eventKey: string, ttlMs: number, jobId: string): Promise<void> {
    await this.redis.set(this.key(sink, eventKey), `${jobId}@${new Date().toISOString()}`, 'PX', ttlMs);
  }

  async forget(sink: string, eventKey: string): Promise<void> {
    await this.redis.del(this.key(sink, eventKey));
  }
}
