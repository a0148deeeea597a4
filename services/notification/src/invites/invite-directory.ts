import { DependencyError, type Sidecar } from '@parley/service-kit';
import { InviteError } from './invite-errors';

export type Role = 'owner' | 'admin' | 'member';

export interface Admission {
  conversation: { id: string; type: 'direct' | 'group'; name: string | null; requiresApproval: boolean };
  /** The user's role in the conversation, null for a non-member. */
  role: Role | null;
}

export type UserLookup = { username: string } | { email: string } | { phone: string };

/** What the invite API asks the auth and chat services, through service invocation. */
export interface InviteDirectory {
  /** The conversation's join rule and the user's role; INVITE_CONVERSATION_NOT_FOUND if there is none. */
  admission(conversationId: string, userId: string): Promise<Admission>;
  /** The account a username, email or phone names; `verified` when it proved it holds the address. */
  lookup(query: UserLookup): Promise<{ userId: string; displayName: string; verified: boolean } | null>;
  /** The name to show for the user; null when auth knows no such account (deleted, say). */
  displayName(userId: string): Promise<string | null>;
  /** Whether either of the two users blocked the other. */
  blocked(userId: string, otherId: string): Promise<boolean>;
}

export function sidecarDirectory(sidecar: Sidecar): InviteDirectory {
  const call = <T>(app: string, method: string, init: { method?: string; body?: unknown } = {}) =>
    sidecar.invoke<T>(app, method, { ...init, signal: AbortSignal.timeout(5_000) });
  return {
    async admission(conversationId, userId) {
      const result = await call<Admission>(
        'chat',
        `internal/v1/conversations/${encodeURIComponent(conversationId)}/admission/${encodeURIComponent(userId)}`,
      );
      if (result.status === 404) throw new InviteError('INVITE_CONVERSATION_NOT_FOUND', { conversationId });
      if (result.status !== 200)
        throw new DependencyError('chat', `chat admission answered ${result.status}`);
      return result.body;
    },
    async lookup(query) {
      const result = await call<{ user: { id: string; displayName: string }; verified: boolean }>(
        'auth',
        'internal/v1/users/lookup',
        { method: 'POST', body: query },
      );
      if (result.status === 404) return null;
      if (result.status !== 200) throw new DependencyError('auth', `auth lookup answered ${result.status}`);
      return {
        userId: result.body.user.id,
        displayName: result.body.user.displayName,
        verified: result.body.verified,
      };
    },
    async displayName(userId) {
      const result = await call<{ displayName: string; username: string }>(
        'auth',
        `internal/v1/users/${encodeURIComponent(userId)}`,
      );
      if (result.status === 404) return null;
      if (result.status !== 200) throw new DependencyError('auth', `auth answered ${result.status}`);
      return result.body.displayName || result.body.username;
    },
    async blocked(userId, otherId) {
      const result = await call<{ blocked?: unknown }>('auth', 'internal/v1/relations/check', {
        method: 'POST',
        body: { userId, otherUserIds: [otherId] },
      });
      const blocked = result.body?.blocked;
      if (result.status !== 200 || !Array.isArray(blocked)) {
        throw new DependencyError('auth', `auth relations check answered ${result.status}`);
      }
      return blocked.includes(otherId);
    },
  };
}
