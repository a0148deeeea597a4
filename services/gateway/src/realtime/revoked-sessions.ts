import { DependencyError, UnauthorizedError } from '@parley/service-kit';
import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';

const key = (sessionId: string) => `parley:gateway:revoked-session:${sessionId}`;

/**
 * Sessions that ended early, shared by every gateway replica through Redis. Each is remembered
 * `memorySeconds`, longer than any access token lives, so none of its tokens gets through after.
 */
export class RevokedSessions {
  constructor(
    private readonly redis: Redis,
    private readonly memorySeconds: number,
  ) {}

  async add(sessionIds: readonly string[]): Promise<void> {
    const batch = this.redis.multi();
    for (const id of sessionIds) batch.set(key(id), '1', 'EX', this.memorySeconds);
    await batch.exec();
  }

  /** Whether the session was revoked; Redis away is a dependency failure, not a server fault. */
  async has(sessionId: string): Promise<boolean> {
    try {
      return (await this.redis.exists(key(sessionId))) === 1;
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
  if (!authorization?.startsWith('Bearer ') || authorization.length > 8192) return undefined;
  const payload = authorization.slice('Bearer '.length).split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const sid = (claims as { sid?: unknown } | null)?.sid;
    return typeof sid === 'string' && sid.length > 0 && sid.length <= 64 ? sid : undefined;
  } catch {
    return undefined;
  }
}
