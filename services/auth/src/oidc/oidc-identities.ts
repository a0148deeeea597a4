import type { Collection, Db } from 'mongodb';

interface IdentityDoc {
  /** `<issuer> <subject>`: a provider's account, unique across providers. */
  _id: string;
  issuer: string;
  subject: string;
  userId: string;
  createdAt: Date;
  /**
   * The link was made from an email address the provider verified. Every link made since logins
   * with an unverified address are refused has it; a link stored before may lack it, and then it
   * may stand on nothing but a claim of the address, so it is treated as such (see
   * `deleteUnverified`).
   */
  byVerifiedEmail?: boolean;
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

  /** Links a provider account whose email the provider verified to the account with that address. */
  async link(issuer: string, subject: string, userId: string): Promise<void> {
    await this.identities.updateOne(
      { _id: `${issuer} ${subject}` },
      { $setOnInsert: { issuer, subject, userId, createdAt: new Date(), byVerifiedEmail: true } },
      { upsert: true },
    );
  }

  /**
   * Removes the account's links not marked as made from a verified email, once someone proved
   * they read the account's inbox: whoever made such a link may only have claimed the address.
   * Answers how many went. An unmarked link of a provider that did verify the address is made
   * again, marked, at its next login (the address then leads to this account).
   */
  async deleteUnverified(userId: string): Promise<number> {
    const result = await this.identities.deleteMany({ userId, byVerifiedEmail: { $ne: true } });
    return result.deletedCount;
  }

  async deleteAll(userId: string): Promise<void> {
    await this.identities.deleteMany({ userId });
  }
}
