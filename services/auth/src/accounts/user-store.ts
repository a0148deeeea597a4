import { randomUUID } from 'node:crypto';
import type { PublicUserFields } from '@parley/contracts';
import { escapeRegExp } from '@parley/service-kit';
import { type Collection, type Db, type Filter, MongoBulkWriteError, MongoServerError } from 'mongodb';
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
  /** The id of the request that registered the account, to know that request again. */
  registeredBy?: string | null;
}

export type NewUser = Pick<
  UserDoc,
  'username' | 'email' | 'emailVerified' | 'displayName' | 'passwordHash'
> & {
  phone?: string | null;
  registeredBy?: string | null;
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

/**
 * A username or email address, pointing to the account that holds it: `_id` is `username:<name>`
 * or `email:<address>`. Signing in and registering find an account by these, and a lookup by
 * `_id` is the one the development store (FerretDB on SQLite) answers without reading every
 * account; asked by `email` or `username`, it reads them all, and an address nobody holds (every
 * registration checks two) took a second per check at 20,000 accounts.
 */
interface UserKeyDoc {
  _id: string;
  userId: string;
  /** When the key was claimed: a claim whose account never appeared is taken over after a while. */
  at: Date;
}

type KeyField = 'username' | 'email';
const KEY_FIELDS: readonly KeyField[] = ['username', 'email'];

/** Written once every account stored before keys existed has its keys. */
const KEYS_ADDED = 'keys-added';

const takenError = (field: KeyField) =>
  field === 'username' ? new UsernameTakenError() : new EmailTakenError();

const keyOf = (field: KeyField, value: string) => `${field}:${value}`;

/**
 * How long a key whose account does not exist stays claimed: a registration claims its keys
 * before it stores the account, so a key without one is a registration under way or one that
 * stopped half-way (a crash, or a store that went away).
 */
const CLAIM_STALE_MS = 60_000;

/** Accounts in MongoDB. Queries take only validated scalars, never request objects. */
export class UserStore {
  readonly users: Collection<UserDoc>;
  readonly keys: Collection<UserKeyDoc>;

  constructor(db: Db) {
    this.users = db.collection<UserDoc>('users');
    this.keys = db.collection<UserKeyDoc>('user_keys');
  }

  /**
   * The unique indexes stay the last word on who holds a name; the keys are how accounts are
   * found. Accounts stored before there were keys get theirs at the first start, which then
   * leaves a marker so that later starts read no account. From then on every instance must write
   * keys: an account stored without them is not found by its names until a registration runs
   * into one of them (see insertUser).
   */
  async ensureIndexes(): Promise<void> {
    await this.users.createIndex({ username: 1 }, { unique: true, name: 'username_unique' });
    await this.users.createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
    await this.users.createIndex({ displayName: 1 }, { name: 'display_name' });
    if (await this.keys.findOne({ _id: KEYS_ADDED })) return;
    await this.addMissingKeys();
    await this.keys.updateOne(
      { _id: KEYS_ADDED },
      { $set: { userId: '', at: new Date() } },
      { upsert: true },
    );
  }

  private async addMissingKeys(): Promise<void> {
    const cursor = this.users.find({}, { projection: { _id: 1, username: 1, email: 1, createdAt: 1 } });
    let batch: UserKeyDoc[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      // Unordered: a key already there fails alone, and the others are written.
      await this.keys.insertMany(batch, { ordered: false }).catch((err: unknown) => {
        if (!isDuplicateOnly(err)) throw err;
      });
      batch = [];
    };
    for await (const user of cursor) {
      for (const field of KEY_FIELDS) {
        batch.push({ _id: keyOf(field, user[field]), userId: user._id, at: user.createdAt });
      }
      if (batch.length >= 500) await flush();
    }
    await flush();
  }

  /** Creates an account; a taken username or email becomes a 409 with its own code. */
  async create(input: NewUser): Promise<UserDoc> {
    // Both looked up first, so a taken email claims nothing (the username stays free to retry).
    for (const field of KEY_FIELDS) {
      if (await this.findByKey(field, input[field])) throw takenError(field);
    }
    const _id = randomUUID();
    const claimed: string[] = [];
    let user: UserDoc;
    try {
      for (const field of KEY_FIELDS) {
        const key = keyOf(field, input[field]);
        if (!(await this.claim(key, _id))) throw takenError(field);
        claimed.push(key);
      }
      user = await this.insertUser(_id, input);
    } catch (err) {
      // A name claimed for an account that was not stored would stay held for a minute.
      await this.release(claimed, _id).catch(() => undefined);
      throw err;
    }
    // Stored, so both names are this account's (the unique indexes say so): its keys are set
    // again, in case a registration racing for a taken-over key gave one back meanwhile.
    for (const field of KEY_FIELDS) {
      await this.keys.updateOne(
        { _id: keyOf(field, input[field]) },
        { $set: { userId: _id, at: user.createdAt } },
        { upsert: true },
      );
    }
    return user;
  }

  /**
   * Claims a key for a new account, or tells that another account holds it. A key whose account
   * is not stored is held by a registration under way, unless it was claimed long ago (a
   * registration that stopped half-way). Every write here names the key by `_id` alone: the
   * development store reads every key for a filter with anything beside it.
   */
  private async claim(key: string, userId: string): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.keys.insertOne({ _id: key, userId, at: new Date() });
        return true;
      } catch (err) {
        if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
      }
      const holder = await this.keys.findOne({ _id: key });
      if (!holder) continue;
      if (await this.users.findOne({ _id: holder.userId }, { projection: { _id: 1 } })) return false;
      if (Date.now() - holder.at.getTime() < CLAIM_STALE_MS) return false;
      // Two registrations may both take it over: the unique index then refuses one account, and
      // that one points the key back to the account stored (see insertUser).
      await this.keys.updateOne({ _id: key }, { $set: { userId, at: new Date() } });
      return true;
    }
    return false;
  }

  /** Gives back keys this registration claimed and still holds. */
  private async release(keys: string[], userId: string): Promise<void> {
    for (const _id of keys) {
      if ((await this.keys.findOne({ _id }))?.userId === userId) await this.keys.deleteOne({ _id });
    }
  }

  private async insertUser(_id: string, input: NewUser): Promise<UserDoc> {
    const now = new Date();
    const user: UserDoc = {
      _id,
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
      registeredBy: input.registeredBy ?? null,
    };
    try {
      await this.users.insertOne(user);
    } catch (err) {
      if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
      // Another account holds a name though this registration claimed its key: one stored
      // without keys, or a takeover both registrations made. Read by the field (this once), the
      // holder gets its key back, and the name is refused.
      for (const field of KEY_FIELDS) {
        const holder = await this.users.findOne({ [field]: input[field] } as Filter<UserDoc>);
        if (!holder) continue;
        await this.keys.updateOne(
          { _id: keyOf(field, input[field]) },
          { $set: { userId: holder._id, at: holder.createdAt } },
          { upsert: true },
        );
        throw takenError(field);
      }
      throw new UsernameTakenError();
    }
    return user;
  }

  findById(id: string): Promise<UserDoc | null> {
    return this.users.findOne({ _id: id });
  }

  findByIds(ids: readonly string[]): Promise<UserDoc[]> {
    return this.users.find({ _id: { $in: [...ids] } }).toArray();
  }

  /** The account holding a username or email, found through its key and checked against it. */
  private async findByKey(field: KeyField, value: string): Promise<UserDoc | null> {
    const key = await this.keys.findOne({ _id: keyOf(field, value) });
    if (!key) return null;
    const user = await this.users.findOne({ _id: key.userId });
    return user?.[field] === value ? user : null;
  }

  findByEmail(email: string): Promise<UserDoc | null> {
    return this.findByKey('email', email);
  }

  /** Phone numbers are neither unique nor verified; the first account holding one is enough here. */
  findByPhone(phone: string): Promise<UserDoc | null> {
    return this.users.findOne({ phone });
  }

  /** `login` is lower case: an email address when it holds an `@`, a username otherwise. */
  findByLogin(login: string): Promise<UserDoc | null> {
    return this.findByKey(login.includes('@') ? 'email' : 'username', login);
  }

  async updateProfile(id: string, changes: ProfileChanges): Promise<UserDoc | null> {
    await this.users.updateOne({ _id: id }, { $set: { ...changes, updatedAt: new Date() } });
    return this.findById(id);
  }

  /**
   * Takes away a profile picture that turned out not to be an image (its processing failed), if
   * it is still the user's. Answers the user when it was, null when nothing changed.
   */
  async dropAvatar(id: string, mediaId: string): Promise<UserDoc | null> {
    return this.users.findOneAndUpdate(
      { _id: id, avatarMediaId: mediaId },
      { $set: { avatarMediaId: null, updatedAt: new Date() } },
      { returnDocument: 'after' },
    );
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

  /**
   * Deletes the account's keys, then the account: while the account is there nobody can take its
   * keys over, so only its own are deleted. Interrupted in between, the account is still there
   * without keys, and deleting it again finishes.
   */
  async delete(id: string): Promise<boolean> {
    const user = await this.users.findOne({ _id: id }, { projection: { username: 1, email: 1 } });
    if (!user) return false;
    await this.release(
      KEY_FIELDS.map((field) => keyOf(field, user[field])),
      id,
    );
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

/** A bulk insert whose only failures are keys already there. */
function isDuplicateOnly(err: unknown): boolean {
  if (!(err instanceof MongoBulkWriteError)) return false;
  const errors = [err.writeErrors].flat().filter((e) => e !== undefined && e !== null);
  return errors.length > 0 && errors.every((e) => e.code === DUPLICATE_KEY);
}
