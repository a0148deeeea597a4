import type { Collection, Db } from 'mongodb';
import { LinkInvalidError } from '../errors';
import { hashToken, newOpaqueToken } from '../sessions/session-store';

export type LinkPurpose = 'verify-email' | 'reset-password';

interface LinkTokenDoc {
  /** SHA-256 of the token; the token itself only travels in the email. */
  _id: string;
  purpose: LinkPurpose;
  userId: string;
  /** The address the link went to; verifying it proves nothing about a later address. */
  email: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

/** Single-use, expiring tokens for the links in verification and reset emails. */
export class LinkTokens {
  private readonly tokens: Collection<LinkTokenDoc>;

  constructor(db: Db) {
    this.tokens = db.collection<LinkTokenDoc>('link_tokens');
  }

  async ensureIndexes(): Promise<void> {
    await this.tokens.createIndex({ userId: 1 }, { name: 'user' });
  }

  async issue(purpose: LinkPurpose, userId: string, email: string, ttlSeconds: number): Promise<string> {
    const token = newOpaqueToken();
    const now = new Date();
    await this.tokens.insertOne({
      _id: hashToken(token),
      purpose,
      userId,
      email,
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      usedAt: null,
    });
    return token;
  }

  /** Uses a token up, atomically, or throws AUTH_LINK_INVALID when it is unknown, used or expired. */
  async consume(purpose: LinkPurpose, token: string): Promise<{ userId: string; email: string }> {
    const now = new Date();
    const doc = await this.tokens.findOneAndUpdate(
      { _id: hashToken(token), purpose, usedAt: null, expiresAt: { $gt: now } },
      { $set: { usedAt: now } },
      { returnDocument: 'before' },
    );
    if (!doc) throw new LinkInvalidError();
    return { userId: doc.userId, email: doc.email };
  }

  /** Spends every open token of a purpose, so that an older reset link dies with a newer reset. */
  async revokeAll(userId: string, purpose: LinkPurpose): Promise<void> {
    await this.tokens.updateMany({ userId, purpose, usedAt: null }, { $set: { usedAt: new Date() } });
  }

  async deleteAll(userId: string): Promise<void> {
    await this.tokens.deleteMany({ userId });
  }
}
