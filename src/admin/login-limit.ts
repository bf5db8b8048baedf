import { isIPv4, isIPv6 } from 'node:net';
import type { Request } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../shared/logger.ts';

/** SPEC.md section 2: 10 refused tokens from one client address within 15 minutes, then 429. */
export type LoginLimitOptions = { attempts: number; windowSeconds: number };
export const LOGIN_LIMIT: LoginLimitOptions = { attempts: 10, windowSeconds: 15 * 60 };

export type LimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Counts refused admin tokens (the login form and `Authorization: Bearer` alike) per client address
 * in Redis, so every process serving /admin shares one count. The window is fixed: it starts at the
 * first refusal and, once the address has used its attempts, every credential it presents (the right
 * token too) is answered 429 until the window has passed.
 *
 * Strict under concurrency: a refused token is one atomic INCR, sent before the answer, and a right
 * token is let in only when a read of that count (ordered after every INCR sent before it) is under
 * the limit. So however many guesses arrive at once, at most `attempts` per window can ever succeed.
 * While Redis cannot be reached each process counts alone, in memory, rather than not at all.
 */
export class LoginLimiter {
  private readonly redis: Redis;
  private readonly shared: RateLimiterRedis;
  private readonly local: RateLimiterMemory;
  private readonly options: LoginLimitOptions;
  private readonly logger: Logger;

  constructor(redis: Redis, keyPrefix: string, logger: Logger, options: LoginLimitOptions = LOGIN_LIMIT) {
    this.redis = redis;
    this.options = options;
    this.logger = logger;
    const limits = { keyPrefix, points: options.attempts, duration: options.windowSeconds };
    this.local = new RateLimiterMemory(limits);
    this.shared = new RateLimiterRedis({
      ...limits,
      storeClient: redis,
      // A locked-out address is then refused from memory, without a Redis round trip per guess.
      inMemoryBlockOnConsumed: options.attempts + 1,
      // A command that fails (Redis went away mid-request) is counted in memory instead.
      insuranceLimiter: this.local,
    });
  }

  /** While the connection is known to be down, counting in memory answers at once instead of waiting for it. */
  private get limiter(): RateLimiterRedis | RateLimiterMemory {
    return redisIsAway(this.redis) ? this.local : this.shared;
  }

  /** Before letting a right token in: is this address locked out? */
  async check(address: string): Promise<LimitVerdict> {
    const state = await this.limiter.get(address);
    if (state && state.consumedPoints >= this.options.attempts) return { allowed: false, retryAfterSeconds: retryAfter(state) };
    return { allowed: true };
  }

  /**
   * A token was refused: count it and log it (with the address, never the token). The answer is
   * 401 while the address has attempts left, 429 once it has none.
   */
  async refuse(address: string, via: 'login' | 'bearer'): Promise<LimitVerdict> {
    try {
      const state = await this.limiter.consume(address);
      const limits = { limit: this.options.attempts, windowSeconds: this.options.windowSeconds };
      this.logger.warn({ clientAddress: address, via, refused: state.consumedPoints, ...limits }, 'admin token refused');
      // Once per window, at the refusal that used the last attempt up; what follows is in the request log (429).
      if (state.consumedPoints === this.options.attempts) {
        this.logger.warn(
          { clientAddress: address, via, ...limits, retryAfterSeconds: retryAfter(state) },
          'admin tokens refused too often: address locked out until the window passes',
        );
      }
      return { allowed: true };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return { allowed: false, retryAfterSeconds: retryAfter(rejection) };
    }
  }
}

/** The connection was up and is lost (ioredis is between reconnection attempts), or is closed for good. */
export function redisIsAway(redis: Redis): boolean {
  return redis.status === 'reconnecting' || redis.status === 'close' || redis.status === 'end';
}

function retryAfter(state: RateLimiterRes): number {
  return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
}

/**
 * The address a limit counts against: Express' `req.ip` (the socket's peer, or the address the
 * trusted proxies of TRUST_PROXY forwarded). An IPv6 client is counted by its /64, the block one
 * subscriber is usually given, so it cannot step around the limit by changing its interface id.
 */
export function clientAddress(req: Request): string {
  const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (isIPv4(ip)) return ip;
  if (isIPv6(ip)) return `${ipv6Prefix64(ip)}::/64`;
  return ip;
}

function ipv6Prefix64(ip: string): string {
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (`::1.2.3.4`) is two groups; it only ever sits in the last 64 bits.
  const tailLength = tailGroups.reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
  const groups = ip.includes('::') ? [...headGroups, ...Array<string>(8 - headGroups.length - tailLength).fill('0'), ...tailGroups] : headGroups;
  return groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':');
}
