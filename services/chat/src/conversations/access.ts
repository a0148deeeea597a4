import type { ChatStore, MemberDoc, Role } from '../store';
import { memberKey } from '../store';
import { ConversationNotFoundError, RoleRequiredError } from '../errors';

const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 };

/**
 * The caller's membership, or the same not-found answer an unknown id gets: a non-member learns
 * nothing about a conversation, not even that it exists.
 */
export async function requireMember(
  store: ChatStore,
  conversationId: string,
  userId: string,
  atLeast: Role = 'member',
): Promise<MemberDoc> {
  const member = await store.members.findOne({ _id: memberKey(conversationId, userId) });
  if (!member) throw new ConversationNotFoundError(conversationId);
  if (RANK[member.role] < RANK[atLeast]) throw new RoleRequiredError(atLeast);
  return member;
}

export function outranks(a: Role, b: Role): boolean {
  return RANK[a] > RANK[b];
}
