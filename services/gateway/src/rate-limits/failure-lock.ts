import type { Redis } from 'ioredis';
import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';

export interface FailureLockOptions {
  /** Distinguishes this lock's keys in Redis. */
  name: string;
  /** Failures tolerated before the first lock. */
  threshold: number;
  /** Failures are forgotten this long after the last one (or at a success, for accounts). */
  memorySeconds: number;
  baseLockSeconds: number;
  maxLockSeconds: number;
}

/**
 * Growing delays after repeated failures: the `threshold`-th failure locks the key for the base
 * time, and each further one for twice as long as the one before, up to a ceiling. State lives
 * in Redis, so every gateway replica sees the same counts and locks.
 */
export class FailureLock {
  private readonly failures: RateLimiterRedis;
  private readonly locks: RateLimiterRedis;

  constructor(
    redis: Redis,
    private readonly options: FailureLockOptions,
  ) {
    // The counter never refuses by itself: it only counts; the lock below does the refusing.
    this.failures = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `rl:failures:${options.name}`,
      points: Number.MAX_SAFE_INTEGER,
      duration: options.memorySeconds,
    });
    this.locks = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `rl:lock:${options.name}`,
      points: 1,
      duration: 1,
    });
  }

  /** Milliseconds until the key may try again, or 0 when it is not locked. */
  async lockedFor(key: string): Promise<number> {
    const res = await this.locks.get(key);
    return res && res.consumedPoints > 1 ? res.msBeforeNext : 0;
  }

  /** Counts a failure and locks the key once past the threshold; answers the lock's length in seconds. */
  async fail(key: string): Promise<number> {
    const res: RateLimiterRes = await this.failures.consume(key);
    const beyond = res.consumedPoints - this.options.threshold;
    if (beyond < 0) return 0;
    const seconds = Math.min(this.options.baseLockSeconds * 2 ** beyond, this.options.maxLockSeconds);
    await this.locks.block(key, seconds);
    return seconds;
  }

  async succeed(key: string): Promise<void> {
    await this.failures.delete(key);
  }
}
