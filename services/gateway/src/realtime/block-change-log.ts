/** A point in the log, taken before a socket's audience is read at its handshake. */
export interface BlockChangeMark {
  seq: number;
  at: number;
}

/**
 * Whose blocks changed lately on this replica. A socket still in its handshake is not yet in its
 * user's room, so a block change cannot reach its copy of the audience; it marks the log before
 * reading the audience and, once done, asks whether its user's blocks changed since (then it reads
 * the audience again). Entries older than `keepMs` are dropped; a mark that old counts as changed.
 */
export class BlockChangeLog {
  private seq = 0;
  /** Per user, the last change: in the order recorded, oldest first. */
  private readonly changes = new Map<string, BlockChangeMark>();

  constructor(
    private readonly keepMs = DEFAULT_KEEP_MS,
    private readonly now: () => number = Date.now,
  ) {}

  mark(): BlockChangeMark {
    return { seq: this.seq, at: this.now() };
  }

  record(userIds: readonly string[]): void {
    const at = this.now();
    this.seq += 1;
    for (const userId of userIds) {
      this.changes.delete(userId);
      this.changes.set(userId, { seq: this.seq, at });
    }
    for (const [userId, change] of this.changes) {
      if (at - change.at <= this.keepMs) break;
      this.changes.delete(userId);
    }
  }

  changedSince(userId: string, mark: BlockChangeMark): boolean {
    if (this.now() - mark.at > this.keepMs) return true;
    return (this.changes.get(userId)?.seq ?? 0) > mark.seq;
  }
}

/** Far longer than a handshake takes (chat's answer is bounded by its own timeout). */
const DEFAULT_KEEP_MS = 60_000;
