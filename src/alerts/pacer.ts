import type { Redis } from 'ioredis';

/**
 * Takes the next send slot when it is due: 0 (taken, the slot after it is now + interval), or how
 * many milliseconds remain. Redis' own clock decides, so processes with skewed clocks agree.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = tonumber(redis.call('GET', KEYS[1]) or '0')
if now >= due then
  redis.call('SET', KEYS[1], now + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) + 60000)
  return 0
end
return due - now`;

/** Pushes the next slot out to now + ARGV[1] (never earlier than it already is). */
const HOLD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = tonumber(redis.call('GET', KEYS[1]) or '0')
local want = now + tonumber(ARGV[1])
if want > due then redis.call('SET', KEYS[1], want, 'PX', tonumber(ARGV[1]) + 60000) end
return want`;

type PacerRedis = Redis & {
  hooklinePacerTake(key: string, intervalMs: number): Promise<number>;
  hooklinePacerHold(key: string, ms: number): Promise<number>;
};

function withCommands(redis: Redis): PacerRedis {
  const commands = redis as PacerRedis;
  if (typeof commands.hooklinePacerTake !== 'function') {
    redis.defineCommand('hooklinePacerTake', { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand('hooklinePacerHold', { numberOfKeys: 1, lua: HOLD });
  }
  return commands;
}

/**
 * One send slot per `intervalMs` for a destination, shared by every process through one Redis key:
 * however many workers run, Slack sees at most its pace. A 429 holds the slot for Retry-After.
 */
export class Pacer {
  private readonly redis: PacerRedis;
  private readonly key: string;
  readonly intervalMs: number;

  constructor(redis: Redis, key: string, intervalMs: number) {
    this.redis = withCommands(redis);
    this.key = key;
    this.intervalMs = intervalMs;
  }

  /** Resolves when this caller holds the next slot; rejects when `signal` aborts. */
  async take(signal: AbortSignal): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      const waitMs = Number(await this.redis.hooklinePacerTake(this.key, this.intervalMs));
      if (waitMs <= 0) return;
      // A little jitter, so processes waiting for the same slot do not all ask at the same instant.
      await sleep(waitMs + Math.floor(Math.random() * 15), signal);
    }
  }

  /** Nothing goes out before `ms` from now (Slack's Retry-After), for every process. */
  async hold(ms: number): Promise<void> {
    await this.redis.hooklinePacerHold(this.key, Math.max(0, Math.ceil(ms)));
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
