import { type TokenVerifier, bearerToken } from '@parley/identity';
import { AppError, DependencyError, type Logger, type Sidecar } from '@parley/service-kit';
import { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { addressKey } from '../client-address';
import { readBody, stringField } from './buffered-body';
import { type AttemptOutcome, FailureLock } from './failure-lock';
import { SendBudget } from './send-budget';
import type { RateLimitSettings } from './settings';

const MINUTE = 60;
const HOUR = 60 * MINUTE;

/** A refusal: 429 with RATE_LIMITED and how long to wait, in the body and in Retry-After. */
export class RateLimitedError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    what = 'Too many attempts',
  ) {
    super('RATE_LIMITED', 429, `${what}; try again in ${retryAfterSeconds} seconds.`, {
      retryAfter: retryAfterSeconds,
    });
  }
}

/**
 * Abuse limits in front of the auth routes, before they are proxied: a budget per IP address for
 * login, registration, refresh and reset, a budget per account for reset requests, and growing
 * locks after failed logins, per account and per address. Login failures are counted from the
 * status auth answers. Every count lives in Redis, so the limits hold across gateway replicas. When
 * Redis cannot be reached these routes answer 503 rather than run unlimited. Behind a reverse
 * proxy named in TRUSTED_PROXIES, the address counted is the client's, as the proxy reports it.
 *
 * A message sent or edited over REST spends from its user's send budget, which sockets share.
 */
export function rateLimitRoutes(
  redis: Redis,
  settings: RateLimitSettings,
  accountKeyOf: AccountKeyOf,
  verifier: TokenVerifier,
  logger: Logger,
): Router {
  const budget = (name: string, points: number, duration: number) =>
    new RateLimiterRedis({ storeClient: redis, keyPrefix: `rl:${name}`, points, duration });
  const loginPerIp = budget('login-ip', settings.RATE_LIMIT_LOGIN_PER_IP, 15 * MINUTE);
  const registerPerIp = budget('register-ip', settings.RATE_LIMIT_REGISTER_PER_IP, HOUR);
  const refreshPerIp = budget('refresh-ip', settings.RATE_LIMIT_REFRESH_PER_IP, 15 * MINUTE);
  const resetPerIp = budget('reset-ip', settings.RATE_LIMIT_RESET_PER_IP, HOUR);
  const resetPerAccount = budget('reset-account', settings.RATE_LIMIT_RESET_PER_ACCOUNT, HOUR);
  const lock = (name: string, threshold: number) =>
    new FailureLock(redis, {
      name,
      threshold,
      memorySeconds: 24 * HOUR,
      baseLockSeconds: settings.RATE_LIMIT_LOCK_SECONDS,
      maxLockSeconds: settings.RATE_LIMIT_LOCK_MAX_SECONDS,
    });
  const accountLock = lock('login-account', settings.RATE_LIMIT_FAILURES_PER_ACCOUNT);
  const ipLock = lock('login-ip', settings.RATE_LIMIT_FAILURES_PER_IP);
  const sends = new SendBudget(redis, {
    burst: settings.RATE_LIMIT_SEND_BURST,
    perMinute: settings.RATE_LIMIT_SENDS_PER_MINUTE,
  });
  const log = logger.child({ component: 'rate-limits' });

  const router = Router();

  router.post(
    '/sessions',
    guard(async (req) => {
      const ip = clientIp(req);
      await spend(loginPerIp, ip);
      const login = stringField(await readBody(req), 'login');
      // Counted per account, not per spelling: a username and an email of one account share a lock.
      const account = login ? await accountKeyOf(login) : undefined;
      // A success clears an account's failures but not the address's: one good login among many
      // guesses at other accounts must not reset the count of a credential-stuffing address.
      const gates: [FailureLock, string, (status: number) => AttemptOutcome][] = [
        [ipLock, ip, (status) => (status === 401 ? 'failure' : 'neither')],
      ];
      if (account) gates.push([accountLock, account, outcomeOf]);
      const admitted: typeof gates = [];
      for (const gate of gates) {
        const waitMs = await gate[0].admit(gate[1]);
        if (waitMs > 0) {
          await Promise.all(admitted.map(([lock, key]) => lock.settle(key, 'neither')));
          throw new RateLimitedError(Math.ceil(waitMs / 1000));
        }
        admitted.push(gate);
      }
      // Counted before the answer reaches the client, so its next attempt already meets the lock.
      req.beforeRespond = async (status) => {
        try {
          const locked = await Promise.all(
            admitted.map(([lock, key, outcome]) => lock.settle(key, outcome(status))),
          );
          if (locked.some((seconds) => seconds > 0)) log.info({ ip, locked }, 'login locked');
        } catch (err) {
          log.error({ err }, 'recording a login outcome failed');
        }
      };
    }),
  );

  router.post(
    '/sessions/refresh',
    guard((req) => spend(refreshPerIp, clientIp(req))),
  );

  router.post(
    '/accounts',
    guard((req) => spend(registerPerIp, clientIp(req))),
  );

  router.post(
    '/accounts/password-reset-requests',
    guard(async (req) => {
      await spend(resetPerIp, clientIp(req));
      const email = stringField(await readBody(req), 'email');
      if (email) await spend(resetPerAccount, email);
    }),
  );

  router.post(
    '/accounts/password-reset',
    guard((req) => spend(resetPerIp, clientIp(req))),
  );

  /**
   * Spends one of the verified user's sends. Only a verified user spends: a forged token must not
   * use up someone else's budget. A token that does not verify goes on, and chat refuses it.
   */
  const spendSend = (what: string) => async (req: Request) => {
    const token = bearerToken(req.get('authorization'));
    const userId = token
      ? await verifier.verify(token).then(
          (p) => p.userId,
          () => undefined,
        )
      : undefined;
    if (!userId) return;
    const waitMs = await sends.spend(userId);
    if (waitMs > 0) throw new RateLimitedError(Math.ceil(waitMs / 1000), what);
  };

  router.post('/conversations/:conversationId/messages', guard(spendSend('Too many messages')));

  // An edit spends like a send: each one rewrites the message and reaches every member, as a send
  // does, so edits must not be a way around the budget.
  router.patch('/messages/:messageId', guard(spendSend('Too many messages and edits')));

  return router;
}

/** Names the account a login attempt is for (see auth's login-keys route). */
export type AccountKeyOf = (login: string) => Promise<string>;

/**
 * Asks auth which account a login names. A login auth refuses as malformed is counted under its
 * own spelling; auth answers that attempt with the same refusal.
 */
export function accountKeys(sidecar: Sidecar): AccountKeyOf {
  return async (login) => {
    const result = await sidecar.invoke<{ key?: unknown }>('auth', 'internal/v1/login-keys', {
      method: 'POST',
      body: { login },
      signal: AbortSignal.timeout(5_000),
    });
    if (result.status === 200 && typeof result.body.key === 'string') return result.body.key;
    if (result.status === 400) return `login:${login.trim().toLowerCase()}`;
    throw new DependencyError('auth', `auth answered ${result.status} naming a login's account`);
  };
}

/** Runs a check, then hands the request on to the proxy; a refusal or fault becomes a problem. */
function guard(check: (req: Request, res: Response) => Promise<unknown>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    check(req, res).then(
      () => next(),
      (err: unknown) => {
        if (err instanceof RateLimitedError) res.setHeader('retry-after', String(err.retryAfterSeconds));
        next(
          err instanceof AppError
            ? err
            : new DependencyError('redis', 'rate limits unavailable', { cause: err }),
        );
      },
    );
  };
}

/** Takes one point from a budget; an exhausted budget becomes a RateLimitedError. */
async function spend(limiter: RateLimiterRedis, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes)
      throw new RateLimitedError(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
    throw err;
  }
}

/** What a proxied login's status means for its account. */
function outcomeOf(status: number): AttemptOutcome {
  if (status === 401) return 'failure';
  return status >= 200 && status < 300 ? 'success' : 'neither';
}

/** The client's address: the connection's, or what a trusted proxy says it is (`trustProxies`). */
function clientIp(req: Request): string {
  return addressKey(req.ip ?? req.socket.remoteAddress);
}
