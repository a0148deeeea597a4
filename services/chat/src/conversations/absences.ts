import type { ConversationDoc } from '../store';
import { unreadAfter } from '../messages/deleted-seqs';

/**
 * Numbers a member missed: the messages above `from` and up to `to` came while they were not in
 * the conversation (before they first joined, or between a removal at `from` and a return at
 * `to`), and never count as unread for them.
 */
export interface Absence {
  from: number;
  to: number;
}

/** Absences a membership keeps; past this many the oldest are merged (see `tidyAbsences`). */
export const ABSENCES_KEPT = 20;

/**
 * The absences that still matter to a reader at `readSeq`, oldest first: overlapping ones joined,
 * those ending at or below the cursor dropped (only what lies above it can be unread), and, past
 * {@link ABSENCES_KEPT}, the oldest merged into one. A merge counts the memberships between them
 * as absences too: what the member left unread in those, at least that many returns ago, stops
 * counting. That errs on the side of showing less unread rather than counting anything that came
 * while they were away, and keeps the read cursor what they read.
 */
export function tidyAbsences(absences: readonly Absence[], readSeq: number): Absence[] {
  const sorted = absences
    .filter((a) => a.to > readSeq && a.to > a.from)
    .sort((a, b) => a.from - b.from || a.to - b.to);
  const tidy: Absence[] = [];
  for (const { from, to } of sorted) {
    const last = tidy.at(-1);
    if (last && from <= last.to) last.to = Math.max(last.to, to);
    else tidy.push({ from, to });
  }
  while (tidy.length > ABSENCES_KEPT) {
    const [first, second] = tidy.splice(0, 2) as [Absence, Absence];
    tidy.unshift({ from: first.from, to: second.to });
  }
  return tidy;
}

/**
 * What a membership missed before its joining. A returning member's are kept on it (stored before
 * they were, its `leftSeq` began the one absence known); a first membership missed everything up
 * to its joining.
 */
export function absencesBefore(member: {
  joinSeq?: number;
  leftSeq?: number;
  absences?: Absence[];
}): Absence[] {
  const joinSeq = member.joinSeq ?? 0;
  if (member.absences) return member.absences;
  if (member.leftSeq !== undefined) return [{ from: member.leftSeq, to: joinSeq }];
  return joinSeq > 0 ? [{ from: 0, to: joinSeq }] : [];
}

/**
 * Messages after `readSeq` that are neither deleted nor inside one of the absences. `absences`
 * must not overlap (as `tidyAbsences` leaves them).
 */
export function unreadOutside(
  readSeq: number,
  absences: readonly Absence[],
  conversation: Pick<ConversationDoc, 'lastSeq' | 'deletedSeqs' | 'deletedTrimmed'>,
): number {
  let unread = unreadAfter(readSeq, conversation);
  for (const { from, to } of absences) {
    const start = Math.max(from, readSeq);
    if (to > start) unread -= unreadAfter(start, conversation) - unreadAfter(to, conversation);
  }
  return Math.max(0, unread);
}
