import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { isDuplicateKey } from '@parley/service-kit';
import type { Collection, Db } from 'mongodb';
import {
  RefreshTokenInvalidError,
  RefreshTokenReusedError,
  SessionNotFoundError,
  SessionRevokedError,
} from '../errors';

export interface SessionDoc {
  _id: string;
  userId: string;
  deviceName: string | null;
  /** How the session was opened: `password` or `oidc`. */
  method: 'password' | 'oidc';
  createdAt: Date;
  lastUsedAt: Date;
  /** Refreshing moves this forward; after it the session is over. */
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  /**
   * Raised when a repeated login issues the session's tokens again; a refresh token of a lower
   * generation is refused as unknown. Absent (0) on sessions opened once.
   */
  generation?: number;
}

/** One refresh token of a session's chain. Only the hash is stored; the token is shown once. */
interface RefreshTokenDoc {
  _id: string;
  sessionId: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  /** Set when it was exchanged, or when its session ended; presenting it again is reuse. */
  usedAt: Date | null;
  /** How many times it was presented; absent until the first. */
  presented?: number;
  /** The session's generation it was issued in; absent (0) before any repeated login. */
  generation?: number;
}

/** The user a refresh belongs to, with the fresh refresh token. */
export interface Rotation {
  session: SessionDoc;
  refreshToken: string;
}

/** How long after a login the same request is known again (sidecars and clients retry for seconds). */
const REPEATED_LOGIN_MS = 10 * 60 * 1000;

/**
 * The session id a login request opens: a UUID (version 8, RFC 9562) made of a hash of the user,
 * the device name and the request id, so that only a repeat of that very request finds it.
 */
export function requestSessionId(userId: string, deviceName: string | null, requestId: string): string {
  const bytes = createHash('sha256')
    .update(JSON.stringify([userId, deviceName, requestId]))
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Told of sessions that ended early; it must not throw for a failure to pass the news on. */
export type SessionRevocationListener = (
  userId: string,
  sessionIds: string[],
  reason: string,
) => Promise<void>;

/**
 * Sessions (one per device) and their rotating refresh tokens. Each refresh consumes the token
 * presented and issues the next; presenting a consumed one means it was copied, so the whole
 * session, every token of its chain included, is revoked.
 */
export class SessionStore {
  readonly sessions: Collection<SessionDoc>;
  readonly refreshTokens: Collection<RefreshTokenDoc>;

  /**
   * `onRevoked` hears of every session that ends early, after the change is stored, so that
   * others can refuse its access tokens at once.
   */
  constructor(
    db: Db,
    private readonly ttlSeconds: number,
    private readonly onRevoked: SessionRevocationListener = async () => undefined,
  ) {
    this.sessions = db.collection<SessionDoc>('sessions');
    this.refreshTokens = db.collection<RefreshTokenDoc>('refresh_tokens');
  }

  async ensureIndexes(): Promise<void> {
    await this.sessions.createIndex({ userId: 1 }, { name: 'user' });
    await this.sessions.createIndex({ expiresAt: 1 }, { name: 'expiry' });
    await this.refreshTokens.createIndex({ sessionId: 1 }, { name: 'session' });
    await this.refreshTokens.createIndex({ userId: 1 }, { name: 'user' });
    await this.refreshTokens.createIndex({ expiresAt: 1 }, { name: 'expiry' });
  }

  /**
   * Forgets sessions and refresh tokens past their expiry: every refresh stores a token, so
   * without this the collection grows by about a hundred a day for each device in use. Nothing
   * expired works (a refresh of an expired chain is refused either way); a revoked session is
   * kept until it would have expired, so that its tokens are refused as revoked until then.
   */
  async deleteExpired(now = new Date()): Promise<{ sessions: number; refreshTokens: number }> {
    const tokens = await this.refreshTokens.deleteMany({ expiresAt: { $lt: now } });
    const sessions = await this.sessions.deleteMany({ expiresAt: { $lt: now } });
    return { sessions: sessions.deletedCount, refreshTokens: tokens.deletedCount };
  }

  /**
   * Opens a session. With `requestId` (a password login), the same request again (same user,
   * device name and request id, within minutes) finds the session its first try opened instead of
   * opening a second one: the session's id derives from the request, and the repeat issues its
   * refresh token again in a new generation, so the first try's token (which never reached the
   * client) stops working. A session of that id that has ended is not revived: the repeat opens a
   * session of its own.
   */
  async open(
    userId: string,
    deviceName: string | null,
    method: SessionDoc['method'],
    requestId?: string,
  ): Promise<Rotation> {
    if (!requestId) return this.insert(randomUUID(), userId, deviceName, method);
    const _id = requestSessionId(userId, deviceName, requestId);
    try {
      return await this.insert(_id, userId, deviceName, method);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const now = new Date();
    const earlier = await this.sessions.findOne({ _id });
    const live = earlier && earlier.revokedAt === null && earlier.expiresAt > now;
    if (!earlier || !live || now.getTime() - earlier.createdAt.getTime() > REPEATED_LOGIN_MS) {
      return this.insert(randomUUID(), userId, deviceName, method);
    }
    const again = await this.sessions.findOneAndUpdate(
      { _id },
      { $inc: { generation: 1 }, $set: { lastUsedAt: now } },
      { returnDocument: 'after' },
    );
    if (!again) return this.insert(randomUUID(), userId, deviceName, method);
    return { session: again, refreshToken: await this.issueRefreshToken(again, now) };
  }

  private async insert(
    _id: string,
    userId: string,
    deviceName: string | null,
    method: SessionDoc['method'],
  ): Promise<Rotation> {
    const now = new Date();
    const session: SessionDoc = {
      _id,
      userId,
      deviceName,
      method,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: this.expiry(now),
      revokedAt: null,
      revokedReason: null,
    };
    await this.sessions.insertOne(session);
    return { session, refreshToken: await this.issueRefreshToken(session, now) };
  }

  /** Exchanges a refresh token for the next one; see the class comment for reuse. */
  async rotate(refreshToken: string): Promise<Rotation> {
    const now = new Date();
    const hash = hashToken(refreshToken);
    // Claiming the token is one atomic step, so two concurrent refreshes cannot both win: only
    // the first presentation counts 1. It names the token by `_id` alone, as the dev store reads
    // the tokens one by one for a filter with anything beside `_id`.
    const claimed = await this.refreshTokens.findOneAndUpdate(
      { _id: hash },
      { $inc: { presented: 1 } },
      { returnDocument: 'after' },
    );
    if (!claimed) throw new RefreshTokenInvalidError();
    // The session decides first: a chain whose session ended is refused as such, whichever of
    // its tokens comes back (ending a session marks none of them).
    const session = await this.sessions.findOne({ _id: claimed.sessionId });
    if (!session) throw new RefreshTokenInvalidError();
    if (session.revokedAt) throw new SessionRevokedError();
    // Issued to a try of a repeated login whose answer never reached the client.
    if ((claimed.generation ?? 0) < (session.generation ?? 0)) throw new RefreshTokenInvalidError();
    if (claimed.presented !== 1 || claimed.usedAt !== null) {
      if (session.expiresAt <= now) throw new SessionRevokedError();
      await this.revoke(claimed.sessionId, 'refresh-token-reuse');
      throw new RefreshTokenReusedError(claimed.sessionId);
    }
    await this.refreshTokens.updateOne({ _id: hash }, { $set: { usedAt: now } });
    if (session.expiresAt <= now || claimed.expiresAt <= now) throw new RefreshTokenInvalidError();
    const expiresAt = this.expiry(now);
    await this.sessions.updateOne({ _id: session._id }, { $set: { lastUsedAt: now, expiresAt } });
    // A session ended while this refresh ran still ends it: the gateway refuses its access tokens
    // from the revocation on, and the next refresh finds the session ended.
    return {
      session: { ...session, lastUsedAt: now, expiresAt },
      refreshToken: await this.issueRefreshToken(session, now),
    };
  }

  /** Open sessions of a user, newest use first. */
  listActive(userId: string): Promise<SessionDoc[]> {
    return this.sessions
      .find({ userId, revokedAt: null, expiresAt: { $gt: new Date() } })
      .sort({ lastUsedAt: -1 })
      .toArray();
  }

  async isActive(sessionId: string): Promise<boolean> {
    const session = await this.sessions.findOne(
      { _id: sessionId },
      { projection: { revokedAt: 1, expiresAt: 1 } },
    );
    return session !== null && session.revokedAt === null && session.expiresAt > new Date();
  }

  /** Revokes one session of the user; another user's session is reported as not found. */
  async revokeOwn(userId: string, sessionId: string): Promise<void> {
    // By `_id` alone, the owner checked here: the dev store scans for any other filter.
    const session = await this.sessions.findOne({ _id: sessionId });
    if (!session || session.userId !== userId || session.revokedAt) throw new SessionNotFoundError(sessionId);
    await this.revoke(sessionId, 'revoked-by-user');
  }

  /**
   * Ends a session. Its refresh tokens are left as they are: a refresh asks the session first, so
   * none of them works once it has ended (marking them would read the whole token collection on
   * the dev store, which answers only a filter of `_id` alone without a scan).
   */
  async revoke(sessionId: string, reason: string): Promise<void> {
    const current = await this.sessions.findOne({ _id: sessionId }, { projection: { revokedAt: 1 } });
    if (!current || current.revokedAt) return;
    const before = await this.sessions.findOneAndUpdate(
      { _id: sessionId },
      { $set: { revokedAt: new Date(), revokedReason: reason } },
      { returnDocument: 'before' },
    );
    // Two revocations racing both write; the first to write is the one that tells.
    if (before && !before.revokedAt) await this.onRevoked(before.userId, [sessionId], reason);
  }

  /** Ends every open session of the user, or only those opened by `method`. */
  async revokeAll(userId: string, reason: string, method?: SessionDoc['method']): Promise<void> {
    const now = new Date();
    const ofMethod = method ? { method } : {};
    await this.sessions.updateMany(
      { userId, revokedAt: null, ...ofMethod },
      { $set: { revokedAt: now, revokedReason: reason } },
    );
    // The sessions this call ended are exactly those stamped with its time.
    const ended = await this.sessions
      .find({ userId, revokedAt: now, ...ofMethod }, { projection: { _id: 1 } })
      .toArray();
    if (ended.length > 0)
      await this.onRevoked(
        userId,
        ended.map((s) => s._id),
        reason,
      );
  }

  /** Forgets every session of a deleted user. */
  async deleteAll(userId: string): Promise<void> {
    const live = await this.sessions
      .find({ userId, revokedAt: null, expiresAt: { $gt: new Date() } }, { projection: { _id: 1 } })
      .toArray();
    await this.refreshTokens.deleteMany({ userId });
    await this.sessions.deleteMany({ userId });
    if (live.length > 0)
      await this.onRevoked(
        userId,
        live.map((s) => s._id),
        'account-deleted',
      );
  }

  private async issueRefreshToken(session: SessionDoc, now: Date): Promise<string> {
    const token = newOpaqueToken();
    await this.refreshTokens.insertOne({
      _id: hashToken(token),
      sessionId: session._id,
      userId: session.userId,
      createdAt: now,
      expiresAt: this.expiry(now),
      usedAt: null,
      generation: session.generation ?? 0,
    });
    return token;
  }

  private expiry(from: Date): Date {
    return new Date(from.getTime() + this.ttlSeconds * 1000);
  }
}
