import type { ConversationDoc, MemberDoc } from '../store';
import type { LastMessage } from './last-message';

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
      // For a member added back: the last number when they were removed. What they had left
      // unread by then is unread still, so a client can count as the server does.
      ...(me.leftSeq !== undefined ? { leftSeq: me.leftSeq } : {}),
    },
    ...extra,
  };
}

export type ConversationView = ReturnType<typeof conversationView>;
