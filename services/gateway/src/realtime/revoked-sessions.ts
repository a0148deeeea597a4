import { bearerToken } from '@parley/identity';
import { DependencyError, type Logger, UnauthorizedError } from '@parley/service-kit';
import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';

const key = (sessionId: string) => `parley:gateway:revoked-session:${sessionId}`;

/** Whether the auth service holds the session open (not revoked, not expired, not unknown). */
export type SessionCheck = (sessionId: string) => Promise<boolean>;

/** How long auth's word that a session is open is trusted while Redis cannot be read. */
const ASKED_TRUST_MS = 5_000;
/** Answers kept at most (revocations too, with the rest); beyond that the oldest half is dropped. */
const ASKED_MOST = 10_000;
/** What auth issues as session ids (UUIDs); another `sid` names no session and is not asked about. */
const SESSION_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Sessions that ended early, shared by every gateway replica through Redis. Each is remembered
 * `memorySeconds`, longer than any access token lives, so none of its tokens gets through after.
 *
 * While Redis cannot be read, the auth service, where sessions live, is asked instead (`askAuth`),
 * and its answer is trusted for a few seconds: a Redis outage then neither lets a revoked session
 * through nor refuses every request.
 */
export class RevokedSessions {
  private readonly asked = new Map<string, { revoked: boolean; at: number }>();
  private readonly asking = new Map<string, Promise<boolean>>();
  private outage = false;

  constructor(
    private readonly redis: Redis,
    private readonly memorySeconds: number,
    private readonly askAuth?: SessionCheck,
    private readonly logger?: Logger,
  ) {}

  async add(sessionIds: readonly string[]): Promise<void> {
    // Known here at once, for the checks that ask auth while Redis is away.
    for (const id of sessionIds) this.asked.set(id, { revoked: true, at: Date.now() });
    const batch = this.redis.multi();
    for (const id of sessionIds) batch.set(key(id), '1', 'EX', this.memorySeconds);
    await batch.exec();
  }

  /** Whether the session was revoked; Redis and auth both away is a dependency failure. */
  async has(sessionId: string): Promise<boolean> {
    // A revocation never ends: one learnt here (handled, or told by auth during an outage) holds
    // even before its event reaches Redis.
    if (this.asked.get(sessionId)?.revoked) return true;
    // Redis reconnecting answers nothing for a while: with auth to ask, it is not waited for.
    if (!this.askAuth || this.redis.status === 'ready') {
      try {
        const revoked = (await this.redis.exists(key(sessionId))) === 1;
        this.outage = false;
        return revoked;
      } catch (err) {
        if (!this.askAuth) {
          throw new DependencyError('redis', 'Revoked sessions cannot be checked right now.', { cause: err });
        }
      }
    }
    if (!this.outage) {
      this.outage = true;
      this.logger?.warn('revoked sessions cannot be read from Redis; asking the auth service meanwhile');
    }
    return this.fromAuth(sessionId, this.askAuth);
  }

  private async fromAuth(sessionId: string, askAuth: SessionCheck): Promise<boolean> {
    if (!SESSION_ID.test(sessionId)) return false;
    const known = this.asked.get(sessionId);
    if (known && Date.now() - known.at < ASKED_TRUST_MS) return false;
    let pending = this.asking.get(sessionId);
    if (!pending) {
      pending = askAuth(sessionId)
        .then((open) => {
          if (this.asked.size >= ASKED_MOST) {
            for (const id of [...this.asked.keys()].slice(0, ASKED_MOST / 2)) this.asked.delete(id);
          }
          this.asked.set(sessionId, { revoked: !open, at: Date.now() });
          return !open;
        })
        .finally(() => this.asking.delete(sessionId));
      this.asking.set(sessionId, pending);
    }
    try {
      return await pending;
    } catch (err) {
      throw new DependencyError('redis', 'Revoked sessions cannot be checked right now.', { cause: err });
    }
  }
}

/**
 * Refuses requests whose bearer token belongs to a revoked session, before they are forwarded.
 * The token is not verified here (each service does that); a token that cannot even be read
 * passes on to be refused there. Only a readable `sid` that is known to be revoked stops here.
 */
export function refuseRevokedSessions(revoked: RevokedSessions): RequestHandler {
  return (req, _res, next) => {
    const sessionId = sessionIdOf(req.get('authorization'));
    if (!sessionId) {
      next();
      return;
    }
    revoked
      .has(sessionId)
      .then(
        (isRevoked) =>
          next(
            isRevoked
              ? new UnauthorizedError('AUTH_SESSION_REVOKED', 'This session has been revoked; log in again.')
              : undefined,
          ),
        next,
      );
  };
}

/** The `sid` claim of a bearer JWT, unverified; undefined when there is none to read. */
export function sessionIdOf(authorization: string | undefined): string | undefined {
  const payload = bearerToken(authorization)?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const sid = (claims as { sid?: unknown } | null)?.sid;
    return typeof sid === 'string' && sid.length > 0 && sid.length <= 64 ? sid : undefined;
  } catch {
    return undefined;
  }
}
