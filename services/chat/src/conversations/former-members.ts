import { upsertRetried } from '@parley/service-kit';
import type { ChatStore, FormerMemberDoc, MemberDoc } from '../store';

export type FormerCursors = Omit<FormerMemberDoc, '_id' | 'leftAt'>;

/**
 * What members read and received before their membership ended, kept by the membership's `_id`
 * (the one lookup the dev store answers without a scan), so that a member added back, or joining
 * again by invite, keeps their read and delivered cursors. A record is never deleted: every write
 * only raises it, so a removal racing a return cannot lower what the next return finds.
 */
export class FormerMembers {
  constructor(private readonly store: ChatStore) {}

  /**
   * Keeps the cursors of a membership that is ending or just ended, and, once it has ended, where:
   * the conversation's lastSeq read after the removal. Twice over changes nothing.
   */
  async remember(member: MemberDoc, now: Date, leftSeq?: number): Promise<void> {
    const raise: Record<string, number | Date> = {
      readSeq: member.readSeq,
      deliveredSeq: member.deliveredSeq,
    };
    if (leftSeq !== undefined) raise.leftSeq = leftSeq;
    // Dates only: how a null compares with a date under $max differs between servers.
    if (member.readAt) raise.readAt = member.readAt;
    if (member.deliveredAt) raise.deliveredAt = member.deliveredAt;
    for (const [device, seq] of Object.entries(member.devices)) raise[`devices.${device}`] = seq;
    await upsertRetried(() =>
      this.store.formerMembers.updateOne(
        { _id: member._id },
        { $max: raise, $set: { leftAt: now } },
        { upsert: true },
      ),
    );
  }

  /** The cursors of the pair's last membership, or null for someone never a member before. */
  async recall(memberId: string): Promise<FormerCursors | null> {
    const former = await this.store.formerMembers.findOne({ _id: memberId });
    if (!former) return null;
    return {
      readSeq: former.readSeq,
      readAt: former.readAt ?? null,
      deliveredSeq: former.deliveredSeq,
      deliveredAt: former.deliveredAt ?? null,
      devices: former.devices ?? {},
      ...(former.leftSeq !== undefined ? { leftSeq: former.leftSeq } : {}),
    };
  }
}
