import type { Conversation, PublicUser } from '../api/types';

/** The title of a conversation: a group's name, or the other person of a direct one. */
export function conversationTitle(c: Conversation, users: Map<string, PublicUser>, myId: string): string {
  if (c.type === 'group') return c.name ?? 'Group';
  // A direct conversation always starts with two; only a deleted account leaves one alone in it.
  if (c.members?.length === 1 && c.members[0]?.userId === myId) return 'Deleted account';
  const other = c.members?.find((m) => m.userId !== myId);
  return (other && users.get(other.userId)?.displayName) ?? 'Direct conversation';
}

export function otherMember(c: Conversation, myId: string): string | undefined {
  return c.type === 'direct' ? c.members?.find((m) => m.userId !== myId)?.userId : undefined;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).slice(0, 2);
  return (
    parts
      .map((p) => [...p][0] ?? '')
      .join('')
      .toUpperCase() || '?'
  );
}

export function timeLabel(iso: string): string {
  const d = new Date(iso);
  const today = new Date();
  return d.toDateString() === today.toDateString()
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString([], { month: 'short', day: 'numeric' });
}
