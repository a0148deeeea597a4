import { upsertRetried } from '@parley/service-kit';
import type { ChatStore, FormerMemberDoc, MemberDoc } from '../store';
import { ABSENCES_KEPT, type Absence, absencesBefore, tidyAbsences } from './absences';

export type FormerCursors = Omit<FormerMemberDoc, '_id' | 'leftAt'>;

/**
 * What members read and received before their membership ended, kept by the membership's `_id`
 * (the one lookup the dev store answers without a scan), so that a member added back, or joining
 * again by invite, keeps their read and delivered cursors. A record is never deleted: every write
 * only raises it, so a removal racing a return cannot lower what the next return finds. Absences
 * are only added to (`$addToSet`), never replaced, for the same reason.
 */
export class FormerMembers {
  constructor(private readonly store: ChatStore) {}

  /**
   * Keeps the cursors of a membership that is ending or just ended, what it missed before its
   * joining, and, once it has ended, where: the conversation's lastSeq read after the removal.
   * Twice over changes nothing.
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
    const missed = tidyAbsences(absencesBefore(member), member.readSeq);
    await upsertRetried(() =>
      this.store.formerMembers.updateOne(
        { _id: member._id },
        {
          $max: raise,
          $set: { leftAt: now },
          ...(missed.length > 0 ? { $addToSet: { absences: { $each: missed } } } : {}),
        },
        { upsert: true },
      ),
    );
    if (leftSeq !== undefined) await this.trim(member._id);
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
      absences: tidyAbsences(former.absences ?? [], former.readSeq),
      ...(former.leftSeq !== undefined ? { leftSeq: former.leftSeq } : {}),
    };
  }

  /**
   * Past twice {@link ABSENCES_KEPT} absences, keeps only what `tidyAbsences` would: the merged
   * ones added first, then the rest taken out by value, so that the union of what is stored never
   * shrinks below what is meant. (The dev store ignores `$pull` by condition and `$slice`.)
   */
  private async trim(memberId: string): Promise<void> {
    const former = await this.store.formerMembers.findOne(
      { _id: memberId },
      { projection: { absences: 1, readSeq: 1 } },
    );
    const stored = former?.absences ?? [];
    if (!former || stored.length <= 2 * ABSENCES_KEPT) return;
    const kept = tidyAbsences(stored, former.readSeq);
    const same = (a: Absence) => (b: Absence) => a.from === b.from && a.to === b.to;
    const added = kept.filter((a) => !stored.some(same(a)));
    const gone = stored.filter((a) => !kept.some(same(a)));
    if (added.length > 0) {
      await this.store.formerMembers.updateOne(
        { _id: memberId },
        { $addToSet: { absences: { $each: added } } },
      );
    }
    if (gone.length > 0) {
      await this.store.formerMembers.updateOne(
        { _id: memberId },
        { $pullAll: { absences: gone.map(({ from, to }) => ({ from, to })) } },
      );
    }
  }
}
