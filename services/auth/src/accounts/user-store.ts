import { randomUUID } from 'node:crypto';
import type { PublicUserFields } from '@parley/contracts';
import { type Collection, type Db, type Filter, MongoServerError } from 'mongodb';
import { EmailTakenError, UsernameTakenError } from '../errors';

export interface UserDoc {
  _id: string;
  /** Lower case; unique. */
  username: string;
  /** Lower case; unique. Every account has one (OIDC accounts take the provider's). */
  email: string;
  emailVerified: boolean;
  phone: string | null;
  displayName: string;
  /** Null for an account created through OpenID Connect that never set a password. */
  passwordHash: string | null;
  avatarMediaId: string | null;
  statusText: string | null;
  timeZone: string | null;
  language: string | null;
  roles: string[];
  createdAt: Date;
  updatedAt: Date;
}

export type NewUser = Pick<
  UserDoc,
  'username' | 'email' | 'emailVerified' | 'displayName' | 'passwordHash'
> & {
  phone?: string | null;
};

export type ProfileChanges = Partial<
  Pick<UserDoc, 'displayName' | 'avatarMediaId' | 'statusText' | 'timeZone' | 'language'>
>;

/** What anyone may see about a user. */
export function publicUser(user: UserDoc): PublicUserFields {
  return {
    id: user._id,
    username: user.username,
    displayName: user.displayName,
    avatarMediaId: user.avatarMediaId,
    statusText: user.statusText,
    timeZone: user.timeZone,
    language: user.language,
  };
}

/** What the user sees about themselves. */
export function ownAccount(user: UserDoc) {
  return {
    ...publicUser(user),
    email: user.email,
    emailVerified: user.emailVerified,
    phone: user.phone,
    hasPassword: user.passwordHash !== null,
    createdAt: user.createdAt.toISOString(),
  };
}

const DUPLICATE_KEY = 11000;

/** Accounts in MongoDB. Queries take only validated scalars, never request objects. */
export class UserStore {
  readonly users: Collection<UserDoc>;

  constructor(db: Db) {
    this.users = db.collection<UserDoc>('users');
  }

  async ensureIndexes(): Promise<void> {
    await this.users.createIndex({ username: 1 }, { unique: true, name: 'username_unique' });
    await this.users.createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
    await this.users.createIndex({ displayName: 1 }, { name: 'display_name' });
  }

  /** Creates an account; a taken username or email becomes a 409 with its own code. */
  async create(input: NewUser): Promise<UserDoc> {
    await this.assertFree(input.username, input.email);
    const now = new Date();
    const user: UserDoc = {
      _id: randomUUID(),
      username: input.username,
      email: input.email,
      emailVerified: input.emailVerified,
      phone: input.phone ?? null,
      displayName: input.displayName,
      passwordHash: input.passwordHash,
      avatarMediaId: null,
      statusText: null,
      timeZone: null,
      language: null,
      roles: [],
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.users.insertOne(user);
    } catch (err) {
      // Two registrations raced past the check: tell which field the loser collided on.
      if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) {
        await this.assertFree(input.username, input.email);
        throw new UsernameTakenError();
      }
      throw err;
    }
    return user;
  }

  private async assertFree(username: string, email: string): Promise<void> {
    if (await this.users.findOne({ username }, { projection: { _id: 1 } })) throw new UsernameTakenError();
    if (await this.users.findOne({ email }, { projection: { _id: 1 } })) throw new EmailTakenError();
  }

  findById(id: string): Promise<UserDoc | null> {
    return this.users.findOne({ _id: id });
  }

  findByIds(ids: readonly string[]): Promise<UserDoc[]> {
    return this.users.find({ _id: { $in: [...ids] } }).toArray();
  }

  findByEmail(email: string): Promise<UserDoc | null> {
    return this.users.findOne({ email });
  }

  /** Phone numbers are neither unique nor verified; the first account holding one is enough here. */
  findByPhone(phone: string): Promise<UserDoc | null> {
    return this.users.findOne({ phone });
  }

  /** `login` is lower case: an email address when it holds an `@`, a username otherwise. */
  findByLogin(login: string): Promise<UserDoc | null> {
    return login.includes('@')
      ? this.users.findOne({ email: login })
      : this.users.findOne({ username: login });
  }

  async updateProfile(id: string, changes: ProfileChanges): Promise<UserDoc | null> {
    await this.users.updateOne({ _id: id }, { $set: { ...changes, updatedAt: new Date() } });
    return this.findById(id);
  }

  async setPassword(id: string, passwordHash: string): Promise<void> {
    await this.users.updateOne({ _id: id }, { $set: { passwordHash, updatedAt: new Date() } });
  }

  async clearPassword(id: string): Promise<void> {
    await this.users.updateOne({ _id: id }, { $set: { passwordHash: null, updatedAt: new Date() } });
  }

  /** Marks the email verified, only if it is still the address the link was sent to. */
  async markEmailVerified(id: string, email: string): Promise<boolean> {
    const result = await this.users.updateOne(
      { _id: id, email },
      { $set: { emailVerified: true, updatedAt: new Date() } },
    );
    return result.matchedCount === 1;
  }

  /** Replaces a user's roles; they reach tokens at the next login or refresh. */
  async setRoles(id: string, roles: string[]): Promise<UserDoc | null> {
    await this.users.updateOne({ _id: id }, { $set: { roles, updatedAt: new Date() } });
    return this.findById(id);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.users.deleteOne({ _id: id })).deletedCount === 1;
  }

  /**
   * The directory: users whose username or display name starts with `query`, or whose email is
   * `query` whole (in any case). An address is never matched by its start, so nobody can learn
   * who has an account by guessing an address one letter at a time.
   */
  async search(query: string, limit: number): Promise<UserDoc[]> {
    const prefix = new RegExp(`^${escapeRegExp(query)}`, 'i');
    const fields: Filter<UserDoc>[] = [{ username: prefix }, { displayName: prefix }];
    if (query.includes('@')) fields.push({ email: new RegExp(`^${escapeRegExp(query)}$`, 'i') });
    return this.users.find({ $or: fields }).sort({ username: 1 }).limit(limit).toArray();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
