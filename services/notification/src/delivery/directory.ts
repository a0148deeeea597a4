import type { ChatMessageView } from '@parley/contracts';
import { DependencyError, type Sidecar } from '@parley/service-kit';

export interface Contact {
  userId: string;
  displayName: string;
  email: string;
  emailVerified: boolean;
  phone: string | null;
  timeZone: string | null;
}

/** A conversation as one of its members sees it (the fields used here). */
export interface MemberView {
  id: string;
  type: 'direct' | 'group';
  name: string | null;
  /** The number of its newest message; 0 before the first. */
  lastSeq: number;
  me: { readSeq: number; muted: boolean };
  /** `joinSeq`: the number each joined at, absent from chat instances older than the field. */
  members?: { userId: string; joinSeq?: number }[];
}

/** What the service asks auth and chat, through service invocation. */
export interface Directory {
  /** Null for an unknown (or deleted) user. */
  contact(userId: string): Promise<Contact | null>;
  displayName(userId: string): Promise<string>;
  /** The conversation as `userId` sees it, or null when they are not a member. */
  conversationAs(userId: string, conversationId: string): Promise<MemberView | null>;
  /**
   * The conversation's newest `limit` messages as `userId` sees them (deleted ones as tombstones),
   * oldest first, or null when they are not a member.
   */
  newestMessagesAs(userId: string, conversationId: string, limit: number): Promise<ChatMessageView[] | null>;
}

const TIMEOUT_MS = 5_000;

export function sidecarDirectory(sidecar: Sidecar): Directory {
  const get = async <T>(app: string, method: string): Promise<T | null> => {
    const result = await sidecar.invoke<T>(app, method, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (result.status === 200) return result.body;
    if (result.status === 404 || result.status === 403) return null;
    throw new DependencyError(app, `${app} answered ${result.status}`);
  };
  return {
    contact: (userId) => get<Contact>('auth', `internal/v1/users/${encodeURIComponent(userId)}/contact`),
    async displayName(userId) {
      const user = await get<{ displayName: string; username: string }>(
        'auth',
        `internal/v1/users/${encodeURIComponent(userId)}`,
      );
      return user ? user.displayName || user.username : 'Someone';
    },
    conversationAs: (userId, conversationId) =>
      get<MemberView>('chat', conversationPathAs(userId, conversationId)),
    async newestMessagesAs(userId, conversationId, limit) {
      const page = await get<{ items: ChatMessageView[] }>(
        'chat',
        `${conversationPathAs(userId, conversationId)}/messages?limit=${limit}`,
      );
      return page?.items ?? null;
    },
  };
}

/** Chat's path to a conversation as one of its members sees it. */
function conversationPathAs(userId: string, conversationId: string): string {
  return `internal/v1/users/${encodeURIComponent(userId)}/conversations/${encodeURIComponent(conversationId)}`;
}
