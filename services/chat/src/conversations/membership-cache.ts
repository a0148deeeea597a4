import type { ChangeBoard } from '@parley/service-kit';
import { type ChatStore, memberKey } from '../store';

/** How many memberships an instance remembers at most (the most recently checked ones). */
const REMEMBERED = 50_000;

interface Found {
  until: number;
  /** The change board's stamp for the conversation when the membership was read. */
  stamp: number;
}

/**
 * The memberships this instance found recently, for the check each send makes: a member sends
 * many messages to the same conversation, and the read would otherwise be the only database
 * round trip before a send's insert.
 *
 * Only found memberships are kept, each for at most `ttlMs`, and only while the change board
 * (`membershipBoard`) says the conversation's memberships have not changed since. Once a removal
 * is written, this instance forgets the membership at once (and keeps no read that the removal
 * overtook); once its other steps are done, it raises the board, and the others follow within
 * about a second, when they next read the board. While
 * the board cannot be read, every check reads. A `ttlMs` of 0 keeps nothing.
 */
export class MembershipCache {
  private readonly found = new Map<string, Found>();
  /** Reads under way, by membership, for checks that arrive meanwhile to share. */
  private readonly reading = new Map<string, Promise<boolean>>();
  /** Counts removals, so a read that started before one is not remembered. */
  private removals = 0;

  constructor(
    private readonly store: ChatStore,
    private readonly board: ChangeBoard,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the user is a member of the conversation, from memory while it holds. */
  async isMember(conversationId: string, userId: string): Promise<boolean> {
    const key = memberKey(conversationId, userId);
    const entry = this.found.get(key);
    if (entry !== undefined) {
      this.found.delete(key);
      if (entry.until > this.now()) {
        if (this.board.holds(conversationId, entry.stamp)) {
          this.found.set(key, entry);
          return true;
        }
        // A board that could not be read lately vouches for nothing, but the entry is kept: once
        // the board answers again, an unchanged counter means it still holds. Dropping every
        // entry each time the database was slow to answer the board would add a read per send
        // just when the database is busiest.
        if (this.board.stamp(conversationId) === undefined) this.found.set(key, entry);
      }
    }
    // Checks of one membership at once share one read: after a restart, a burst of sends (and
    // their clients' resends) would otherwise each read it.
    const running = this.reading.get(key);
    if (running) return running;
    const read = this.read(conversationId, key);
    this.reading.set(key, read);
    const done = () => {
      if (this.reading.get(key) === read) this.reading.delete(key);
    };
    void read.then(done, done);
    return read;
  }

  private async read(conversationId: string, key: string): Promise<boolean> {
    const removalsBefore = this.removals;
    const stamp = this.board.stamp(conversationId);
    const member = await this.store.members.findOne({ _id: key }, { projection: { _id: 1 } });
    if (!member) {
      this.found.delete(key);
    } else if (this.ttlMs > 0 && stamp !== undefined && this.removals === removalsBefore) {
      this.found.set(key, { until: this.now() + this.ttlMs, stamp });
      if (this.found.size > REMEMBERED) this.found.delete(this.found.keys().next().value as string);
    }
    return member !== null;
  }

  /**
   * Called as soon as a membership's removal is written: this instance forgets it at once (and a
   * check whose read began before keeps nothing).
   */
  forget(conversationId: string, userId: string): void {
    this.removals++;
    const key = memberKey(conversationId, userId);
    this.found.delete(key);
    // A check from now on reads afresh rather than joining a read the removal may have overtaken.
    this.reading.delete(key);
  }

  /** Tells the other instances, through the board, that a membership of the conversation went. */
  async announceRemoval(conversationId: string): Promise<void> {
    await this.board.changed(conversationId);
  }
}

/** The name of chat's change board for memberships. */
export const MEMBERSHIP_BOARD = 'memberships';
