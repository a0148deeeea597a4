import { DependencyError, type Sidecar } from '@parley/service-kit';
import { UserNotFoundError } from './errors';

/** What chat asks the auth service, through service invocation. */
export interface Directory {
  /** Throws UserNotFoundError for an unknown user. */
  requireUser(userId: string): Promise<void>;
  /** The subset of `otherUserIds` that `userId` blocked or is blocked by. */
  blockedAmong(userId: string, otherUserIds: string[]): Promise<Set<string>>;
}

export function authDirectory(sidecar: Sidecar): Directory {
  return {
    async requireUser(userId) {
      const result = await sidecar.invoke('auth', `internal/v1/users/${encodeURIComponent(userId)}`, {
        signal: AbortSignal.timeout(5_000),
      });
      if (result.status === 404) throw new UserNotFoundError(userId);
      if (result.status !== 200) throw new DependencyError('auth', `auth answered ${result.status}`);
    },
    async blockedAmong(userId, otherUserIds) {
      const blocked = new Set<string>();
      // The auth service checks at most this many at once.
      for (let i = 0; i < otherUserIds.length; i += 1_000) {
        for (const id of await checkRelations(sidecar, userId, otherUserIds.slice(i, i + 1_000)))
          blocked.add(id);
      }
      return blocked;
    },
  };
}

async function checkRelations(sidecar: Sidecar, userId: string, otherUserIds: string[]): Promise<string[]> {
  const result = await sidecar.invoke<{ blocked?: unknown }>('auth', 'internal/v1/relations/check', {
    method: 'POST',
    body: { userId, otherUserIds },
    signal: AbortSignal.timeout(5_000),
  });
  const blocked = result.body?.blocked;
  if (result.status !== 200 || !Array.isArray(blocked)) {
    throw new DependencyError('auth', `auth relations check answered ${result.status}`);
  }
  return blocked.filter((id): id is string => typeof id === 'string');
}
