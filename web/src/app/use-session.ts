import { useSyncExternalStore } from 'react';
import { session } from '../api/http';
import type { Session } from '../api/types';

export function useSession(): Session | null {
  return useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.get(),
  );
}

/** Roles in the access token (a JWT; read here only to show or hide screens, never trusted). */
export function rolesOf(current: Session | null): string[] {
  const payload = current?.accessToken.split('.')[1];
  if (!payload) return [];
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const roles = (JSON.parse(json) as { roles?: unknown }).roles;
    return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}
