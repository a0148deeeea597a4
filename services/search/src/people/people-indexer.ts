import type { PublicUserFields } from '@parley/contracts';
import type { SearchBackend } from '../engine/types';
import type { PeopleStore } from './people-store';

/** Keeps the people index in step with account events; the latest change at auth wins. */
export class PeopleIndexer {
  constructor(
    private readonly store: PeopleStore,
    private readonly backend: SearchBackend,
  ) {}

  async upsert(user: PublicUserFields, occurredAt: string): Promise<void> {
    if (!(await this.store.isNewer(user.id, occurredAt))) return;
    const person = {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      avatarMediaId: user.avatarMediaId,
    };
    await this.backend.upsertPerson(person);
    await this.store.record(person, occurredAt, false);
  }

  async remove(userId: string, occurredAt: string): Promise<void> {
    if (!(await this.store.isNewer(userId, occurredAt))) return;
    await this.backend.removePerson(userId);
    await this.store.record({ id: userId }, occurredAt, true);
  }
}
