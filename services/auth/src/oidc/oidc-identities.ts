import type { Collection, Db } from 'mongodb';

interface IdentityDoc {
  /** `<issuer> <subject>`: a provider's account, unique across providers. */
  _id: string;
  issuer: string;
  subject: string;
  userId: string;
  createdAt: Date;
}

/** Links between accounts at OpenID Connect providers and Parley accounts. */
export class OidcIdentities {
  private readonly identities: Collection<IdentityDoc>;

  constructor(db: Db) {
    this.identities = db.collection<IdentityDoc>('oidc_identities');
  }

  async ensureIndexes(): Promise<void> {
    await this.identities.createIndex({ userId: 1 }, { name: 'user' });
  }

  async find(issuer: string, subject: string): Promise<string | undefined> {
    const doc = await this.identities.findOne({ _id: `${issuer} ${subject}` });
    return doc?.userId;
  }

  async link(issuer: string, subject: string, userId: string): Promise<void> {
    await this.identities.updateOne(
      { _id: `${issuer} ${subject}` },
      { $setOnInsert: { issuer, subject, userId, createdAt: new Date() } },
      { upsert: true },
    );
  }

  async deleteAll(userId: string): Promise<void> {
    await this.identities.deleteMany({ userId });
  }
}
