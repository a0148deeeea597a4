import type { TokenVerifier } from '@parley/identity';
import { DependencyError, type Logger, type ReadinessCheck, type Sidecar } from '@parley/service-kit';
import type { Router } from 'express';
import { Redis } from 'ioredis';
import { reportOutages } from '../redis-outages';
import { accountKeys, rateLimitRoutes } from './rate-limit-routes';
import type { RateLimitSettings } from './settings';

export { rateLimitSettings } from './settings';

export interface RateLimits {
  router: Router;
  check: ReadinessCheck;
  close: () => Promise<void>;
}

/** Connects the limits' own Redis client (start-up fails without Redis) and builds their routes. */
export async function startRateLimits(
  config: RateLimitSettings & { REDIS_URL: string },
  sidecar: Sidecar,
  verifier: TokenVerifier,
  logger: Logger,
): Promise<RateLimits> {
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  reportOutages(redis, logger, 'rate-limit connection to Redis failed; retrying');
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new DependencyError('redis', 'cannot reach Redis for rate limits', { cause: err });
  }
  return {
    router: rateLimitRoutes(redis, config, accountKeys(sidecar), verifier, logger),
    check: {
      name: 'rate-limit-redis',
      check: async () => {
        await redis.ping();
      },
    },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
