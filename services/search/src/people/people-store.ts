import type { Collection, Db } from 'mongodb';
import type { IndexedPerson } from '../engine/types';

interface PersonDoc {
  _id: string;
  username: string;
  displayName: string;
  avatarMediaId: string | null;
  /** When the change happened at the auth service: later changes win, earlier ones are ignored. */
  occurredAt: string;
  deleted: boolean;
}

/** Public profiles the people index is built from; no email or phone ever reaches it. */
export class PeopleStore {
  private readonly collection: Collection<PersonDoc>;

  constructor(db: Db) {
    this.collection = db.collection<PersonDoc>('people');
  }

  /** True when a change at `occurredAt` is newer than what is recorded. */
  async isNewer(id: string, occurredAt: string): Promise<boolean> {
    const doc = await this.collection.findOne({ _id: id }, { projection: { occurredAt: 1 } });
    return !doc || doc.occurredAt < occurredAt;
  }

  async record(person: IndexedPerson | { id: string }, occurredAt: string, deleted: boolean): Promise<void> {
    const fields = deleted
      ? { username: '', displayName: '', avatarMediaId: null }
      : {
          username: (person as IndexedPerson).username,
          displayName: (person as IndexedPerson).displayName,
          avatarMediaId: (person as IndexedPerson).avatarMediaId,
        };
    try {
      await this.collection.updateOne(
        { _id: person.id, occurredAt: { $lt: occurredAt } },
        { $set: { ...fields, occurredAt, deleted } },
        { upsert: true },
      );
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
  }

  async *live(): AsyncIterable<IndexedPerson> {
    for await (const doc of this.collection.find({ deleted: false })) {
      yield {
        id: doc._id,
        username: doc.username,
        displayName: doc.displayName,
        avatarMediaId: doc.avatarMediaId,
      };
    }
  }
}
