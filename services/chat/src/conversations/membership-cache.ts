import { type ChatStore, memberKey } from '../store';

/** How many memberships an instance remembers at most (the most recently checked ones). */
const REMEMBERED = 50_000;

/**
 * The memberships this instance found recently, for the check each send makes: a member sends
 * many messages to the same conversation, and the read would otherwise be the only database
 * round trip before a send's insert.
 *
 * Only found memberships are kept, each for `ttlMs`. A removal made by this instance forgets the
 * membership at once, and a read that a removal overtook is not kept, so with one instance a
 * removed member cannot send again. A removal made by another instance reaches this one's memory
 * only when the entry expires: with several instances, a removed member may still send through
 * this one for up to `ttlMs`. A `ttlMs` of 0 keeps nothing, and every check reads.
 */
export class MembershipCache {
  private readonly found = new Map<string, number>();
  /** Counts removals, so a read that started before one is not remembered. */
  private removals = 0;

  constructor(
    private readonly store: ChatStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the user is a member of the conversation, from memory while it is fresh. */
  async isMember(conversationId: string, userId: string): Promise<boolean> {
    const key = memberKey(conversationId, userId);
    const until = this.found.get(key);
    if (until !== undefined) {
      this.found.delete(key);
      if (until > this.now()) {
        this.found.set(key, until);
        return true;
      }
    }
    const removalsBefore = this.removals;
    const member = await this.store.members.findOne({ _id: key }, { projection: { _id: 1 } });
    if (member && this.ttlMs > 0 && this.removals === removalsBefore) {
      this.found.set(key, this.now() + this.ttlMs);
      if (this.found.size > REMEMBERED) this.found.delete(this.found.keys().next().value as string);
    }
    return member !== null;
  }

  /** Called once a membership is removed; a check whose read began before the removal keeps nothing. */
  forget(conversationId: string, userId: string): void {
    this.removals++;
    this.found.delete(memberKey(conversationId, userId));
  }
}
