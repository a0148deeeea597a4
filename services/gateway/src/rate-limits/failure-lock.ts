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

/** How an admitted attempt ended, for the count. */
export type AttemptOutcome = 'failure' | 'success' | 'neither';

/** An attempt still running is forgotten after this long, should its outcome never be reported. */
const IN_FLIGHT_SECONDS = 60;
/** How long to come back after when too many attempts run at once. */
const BUSY_RETRY_MS = 1_000;

/**
 * Growing delays after repeated failures: the `threshold`-th failure locks the key for the base
 * time, and each further one for twice as long as the one before, up to a ceiling. Attempts running
 * at once count against what is left before the lock, so a burst of parallel guesses gets no more
 * tries than a sequence. State lives in Redis, so every gateway replica sees the same counts.
 */
export class FailureLock {
  private readonly failures: RateLimiterRedis;
  private readonly locks: RateLimiterRedis;
  private readonly inFlight: RateLimiterRedis;

  constructor(
    redis: Redis,
    private readonly options: FailureLockOptions,
  ) {
    // These counters never refuse by themselves: they only count; the checks below refuse.
    const counter = (kind: string, duration: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `rl:${kind}:${options.name}`,
        points: Number.MAX_SAFE_INTEGER,
        duration,
      });
    this.failures = counter('failures', options.memorySeconds);
    this.inFlight = counter('in-flight', IN_FLIGHT_SECONDS);
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

  /**
   * Lets an attempt start, answering 0, or answers how many milliseconds to wait. An admitted
   * attempt must be settled.
   */
  async admit(key: string): Promise<number> {
    const locked = await this.lockedFor(key);
    if (locked > 0) return locked;
    const failures = (await this.failures.get(key))?.consumedPoints ?? 0;
    const allowance = Math.max(1, this.options.threshold - failures);
    const running = (await this.inFlight.consume(key)).consumedPoints;
    if (running <= allowance) return 0;
    await this.inFlight.reward(key);
    return BUSY_RETRY_MS;
  }

  /** Records how an admitted attempt ended; answers the length of the lock it caused, in seconds. */
  async settle(key: string, outcome: AttemptOutcome): Promise<number> {
    await this.inFlight.reward(key);
    if (outcome === 'success') await this.failures.delete(key);
    return outcome === 'failure' ? this.fail(key) : 0;
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
