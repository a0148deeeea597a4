import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface SendBudgetSettings {
  /** Sends one user may make in any 10-second window, across all their sockets and REST. */
  burst: number;
  /** Sends one user may make per minute. */
  perMinute: number;
}

/** The window of the burst budget, in seconds. */
const BURST_SECONDS = 10;

/**
 * How many messages one user may send or edit, over every socket and REST, on every gateway
 * replica: counts live in Redis, so opening more sockets or reaching another replica buys nothing.
 * A send or edit over the budget is refused before it reaches chat, so one user cannot crowd out the
 * others' sends. While Redis is away each replica keeps the same budget in its own memory instead
 * of refusing every send (messaging must not stop with the limiter) or letting all through.
 */
export class SendBudget {
  private readonly limiters: RateLimiterRedis[];

  constructor(redis: Redis, settings: SendBudgetSettings) {
    const limiter = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `rl:${name}`,
        points,
        duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: `rl:${name}`, points, duration }),
      });
    this.limiters = [
      limiter('sends-burst', settings.burst, BURST_SECONDS),
      limiter('sends-minute', settings.perMinute, 60),
    ];
  }

  /** Spends one send of the user's: 0 when it may go, else how many ms until it may. */
  async spend(userId: string): Promise<number> {
    for (const limiter of this.limiters) {
      try {
        await limiter.consume(userId);
      } catch (err) {
        if (err instanceof RateLimiterRes) return Math.max(1, err.msBeforeNext);
        throw err;
      }
    }
    return 0;
  }

  /** Gives back a spent send that went nowhere (refused before chat), so it costs the user nothing. */
  async refund(userId: string): Promise<void> {
    await Promise.all(this.limiters.map((limiter) => limiter.reward(userId, 1).catch(() => undefined)));
  }
}
