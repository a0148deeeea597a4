import { z } from 'zod';

const count = z.coerce.number().int().positive();

/**
 * Abuse limits of the gateway, shared by every replica through Redis. The defaults suit
 * production: generous per address (many people share one behind a NAT), strict per account.
 */
export const rateLimitSettings = {
  /** Login attempts from one IP address per 15 minutes. */
  RATE_LIMIT_LOGIN_PER_IP: count.default(300),
  /** Registrations from one IP address per hour. */
  RATE_LIMIT_REGISTER_PER_IP: count.default(50),
  /** Token refreshes from one IP address per 15 minutes. */
  RATE_LIMIT_REFRESH_PER_IP: count.default(1000),
  /** Password reset requests and resets from one IP address per hour. */
  RATE_LIMIT_RESET_PER_IP: count.default(30),
  /** Password reset requests for one email address per hour. */
  RATE_LIMIT_RESET_PER_ACCOUNT: count.default(5),
  /** Consecutive failed logins of one account before it is locked for a while. */
  RATE_LIMIT_FAILURES_PER_ACCOUNT: count.default(5),
  /** Failed logins from one IP address within a day before the address is locked for a while. */
  RATE_LIMIT_FAILURES_PER_IP: count.default(100),
  /** The first lock lasts this many seconds; each further failure doubles it. */
  RATE_LIMIT_LOCK_SECONDS: count.default(30),
  /** No lock lasts longer than this many seconds (one hour). */
  RATE_LIMIT_LOCK_MAX_SECONDS: count.default(60 * 60),
  /**
   * Messages one user may send or edit per 10 seconds, over all their sockets and REST together:
   * room for a bot's burst, far above anyone typing.
   */
  RATE_LIMIT_SEND_BURST: count.default(30),
  /** Messages one user may send or edit per minute: two a second, which nobody keeps up by hand. */
  RATE_LIMIT_SENDS_PER_MINUTE: count.default(120),
};

export type RateLimitSettings = { [K in keyof typeof rateLimitSettings]: number };
