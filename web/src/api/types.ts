/** Shapes of the platform's API, as the web client reads them. */
export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  avatarMediaId: string | null;
  statusText: string | null;
  timeZone: string | null;
  language?: string | null;
}

export interface OwnAccount extends PublicUser {
  email: string;
  emailVerified: boolean;
  phone: string | null;
  hasPassword: boolean;
  createdAt: string;
  roles?: string[];
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  sessionId: string;
  user: PublicUser;
}

export type Role = 'owner' | 'admin' | 'member';

export interface Conversation {
  id: string;
  type: 'direct' | 'group';
  name: string | null;
  topic: string | null;
  avatarMediaId: string | null;
  /** Whether joining by link waits for an admin's approval (groups only). */
  requiresApproval?: boolean;
  lastSeq: number;
  lastActivity: string;
  lastMessage: { id: string; seq: number; senderId: string; preview: string; deleted?: boolean } | null;
  unreadCount?: number;
  version?: number;
  me: {
    role: Role;
    muted: boolean;
    archived: boolean;
    readSeq: number;
    deliveredSeq: number;
    /** Messages up to it came before the caller joined: readable, never unread. */
    joinSeq?: number;
    /**
     * What the caller missed above their read cursor, each the numbers above `from` up to `to`:
     * before joining, and between a removal and a return. Never unread; what they left unread
     * while a member counts. Absent from servers older than it.
     */
    absences?: { from: number; to: number }[];
    /** From servers older than `absences`: where a member added back was removed. */
    leftSeq?: number;
  };
  members?: { userId: string; role: Role }[];
  memberCount?: number;
}

export interface Attachment {
  mediaId: string;
  /** Follows the media's processing; absent on older messages. */
  status?: 'pending' | 'processing' | 'ready' | 'failed';
}

export interface Message {
  id: string;
  conversationId: string;
  seq: number;
  clientMessageId: string;
  senderId: string;
  text: string;
  replyToId: string | null;
  threadRootId: string | null;
  mentions: string[];
  mentionsEveryone: boolean;
  attachments: Attachment[];
  reactions: { emoji: string; userIds: string[] }[];
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  version: number;
}

export interface SearchHit {
  id: string;
  conversationId: string;
  senderId: string;
  createdAt: string;
  text: string;
  snippet: string;
}

export interface Presence {
  userId: string;
  status: 'online' | 'away' | 'offline';
  lastSeen: string | null;
}
