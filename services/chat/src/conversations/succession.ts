import { type ChatStore, type MemberDoc, type Role, memberKey } from '../store';

/**
 * Rounds of choosing and promoting a successor. Each round ends with the group owned, or with the
 * chosen one gone at that very moment (their own removal then checks again, see `keepOwned`).
 */
const SUCCESSION_ROUNDS = 5;

type Candidate = Pick<MemberDoc, 'userId' | 'role' | 'joinedAt'>;

/**
 * Who owns a group after its owner is gone: the admin who joined first, else the member who
 * joined first; members who joined at the same moment (a group's founders) in the order of their
 * user ids. Null for a group with nobody else in it.
 */
export function successorOf(others: readonly Candidate[]): Candidate | null {
  const rank = (role: Role) => (role === 'admin' ? 0 : 1);
  const sorted = [...others].sort(
    (a, b) =>
      rank(a.role) - rank(b.role) ||
      a.joinedAt.getTime() - b.joinedAt.getTime() ||
      (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0),
  );
  return sorted[0] ?? null;
}

/**
 * Gives a group with members but no owner one, by `successorOf`; `leavingId` counts as gone
 * already (an owner handing the group over before their membership goes). Called after every
 * membership that held or may have held the owner role ends, so a successor who leaves at the
 * moment they are promoted is followed by another: the promotion is a point update that matches
 * nobody once they are gone, and a removal that took them as owner checks again itself. Roles do
 * not change without an owner (setRole and transferOwnership need one), so every round reads a
 * group that only loses members or gains ones who rank last.
 */
export async function keepOwned(store: ChatStore, conversationId: string, leavingId?: string): Promise<void> {
  for (let round = 0; round < SUCCESSION_ROUNDS; round++) {
    const members = await store.members
      .find({ conversationId }, { projection: { userId: 1, role: 1, joinedAt: 1 } })
      .toArray();
    const others = members.filter((m) => m.userId !== leavingId);
    if (others.some((m) => m.role === 'owner')) return;
    const next = successorOf(others);
    if (!next) return;
    // Matches nobody when the successor has left since the read; the next round chooses again.
    await store.members.updateOne(
      { _id: memberKey(conversationId, next.userId) },
      { $set: { role: 'owner' } },
    );
  }
}
