import type { ConversationDoc, MemberDoc } from '../store';
import type { LastMessage } from './last-message';
import { absencesBefore, tidyAbsences } from './absences';

/** A conversation as one member sees it. */
export function conversationView(
  conversation: ConversationDoc,
  me: MemberDoc,
  lastMessage: LastMessage | null,
  extra: {
    unreadCount?: number;
    memberCount?: number;
    /** Each with the number they joined at, as `me.joinSeq`: notification picks recipients by it. */
    members?: { userId: string; role: string; joinSeq: number }[];
  } = {},
) {
  return {
    id: conversation._id,
    type: conversation.type,
    name: conversation.name,
    topic: conversation.topic,
    avatarMediaId: conversation.avatarMediaId,
    requiresApproval: conversation.requiresApproval ?? false,
    createdBy: conversation.createdBy,
    createdAt: conversation.createdAt.toISOString(),
    lastSeq: conversation.lastSeq,
    lastActivity: conversation.lastActivity.toISOString(),
    lastMessage,
    version: conversation.version,
    me: {
      role: me.role,
      muted: me.muted,
      archived: me.archived,
      readSeq: me.readSeq,
      deliveredSeq: me.deliveredSeq,
      // Messages up to it came before the member joined: never unread, though readable.
      joinSeq: me.joinSeq ?? 0,
      // What they missed above their read cursor (before joining, and between a removal and a
      // return): what they left unread while a member counts, what came while away does not, so
      // a client can count as the server does.
      absences: tidyAbsences(absencesBefore(me), me.readSeq),
      // For clients older than `absences`: where a returning member's last membership ended.
      ...(me.leftSeq !== undefined ? { leftSeq: me.leftSeq } : {}),
    },
    ...extra,
  };
}

export type ConversationView = ReturnType<typeof conversationView>;
