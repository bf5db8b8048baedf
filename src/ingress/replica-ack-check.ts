import type { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import { INGEST_QUEUE } from '../queue/contract.ts';
import { ConfigError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { replicaAckSupport } from '../shared/redis.ts';

/**
 * REDIS_MIN_REPLICAS_ACK against the server, at start-up. A Redis that refuses WAIT (a managed
 * service's restricted commands, an ACL user without it) stops the start: every webhook would be
 * answered 503. Fewer replicas connected than asked is a warning, not an error: the ingress answers
 * 503 until they are back, which is what the option promises. A Redis that does not answer within
 * ENQUEUE_TIMEOUT_MS is not waited for (the spool or 503s cover it); the check is then skipped.
 */
export async function checkReplicaAck(redis: Redis, config: Config, logger: Logger): Promise<void> {
  const ack = config.redisReplicaAck;
  if (!ack) return;
  if (!(await readyWithin(redis, config.enqueueTimeoutMs))) {
    logger.warn({ variable: 'REDIS_MIN_REPLICAS_ACK' }, 'Redis did not answer at start-up: whether it allows WAIT (REDIS_MIN_REPLICAS_ACK) was not checked');
    return;
  }
  const support = await replicaAckSupport(redis, `${config.queuePrefix}:${INGEST_QUEUE}`);
  if (support.kind === 'refused') {
    throw new ConfigError('REDIS_MIN_REPLICAS_ACK', `is ${ack.replicas}, but this Redis refuses WAIT (${support.reason}), so every webhook would be answered 503: allow WAIT for hookline's user, or unset REDIS_MIN_REPLICAS_ACK`);
  }
  if (support.kind === 'unknown') {
    logger.warn({ variable: 'REDIS_MIN_REPLICAS_ACK', reason: support.reason }, 'whether Redis allows WAIT (REDIS_MIN_REPLICAS_ACK) could not be checked');
    return;
  }
  if (support.connected < ack.replicas) {
    logger.warn(
      { variable: 'REDIS_MIN_REPLICAS_ACK', wanted: ack.replicas, connected: support.connected },
      `REDIS_MIN_REPLICAS_ACK is ${ack.replicas} but the primary has ${support.connected} replica(s) connected: webhooks are answered 503 (or spooled) until ${ack.replicas} are`,
    );
    return;
  }
  logger.info({ wanted: ack.replicas, connected: support.connected }, `REDIS_MIN_REPLICAS_ACK: WAIT allowed, ${support.connected} replica(s) connected`);
}

function readyWithin(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.on('ready', onReady);
  });
}
