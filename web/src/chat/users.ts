import { api } from '../api/http';
import type { PublicUser } from '../api/types';
import { chatStore } from './store';

const asked = new Set<string>();

/** Loads the public profiles not held yet (names and avatars shown beside messages). */
export async function ensureUsers(ids: string[]): Promise<void> {
  const missing = [...new Set(ids)].filter((id) => !chatStore.state.users.has(id) && !asked.has(id));
  if (missing.length === 0) return;
  for (const id of missing) asked.add(id);
  const found = await Promise.all(
    missing.map((id) =>
      api<{ user: PublicUser }>(`/users/${encodeURIComponent(id)}`)
        .then((r) => r.user)
        .catch(() => {
          asked.delete(id);
          return null;
        }),
    ),
  );
  chatStore.putUsers(found.filter((u): u is PublicUser => u !== null));
}

export function displayName(user: PublicUser | undefined, fallback = 'Someone'): string {
  return user?.displayName ?? fallback;
}
