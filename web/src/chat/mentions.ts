import type { PublicUser } from '../api/types';

/** The names a text calls with `@name` (not inside an email address), lowercased. */
export function namedIn(text: string): Set<string> {
  return new Set(
    [...text.matchAll(/(?<![\w@.])@([A-Za-z0-9_.]{1,32})/g)].map((m) => (m[1] as string).toLowerCase()),
  );
}

/** The ids of the members a text calls by username. */
export function mentionedMembers(text: string, members: readonly PublicUser[]): string[] {
  const named = namedIn(text);
  return members.filter((u) => named.has(u.username)).map((u) => u.id);
}

/**
 * What a text mentions, as a send or an edit says it: the members it calls by username, and
 * whether it calls `@everyone` (only a group's messages mention everyone).
 */
export function mentionsOf(
  text: string,
  members: readonly PublicUser[],
  isGroup: boolean,
): { mentions: string[]; mentionsEveryone: boolean } {
  return {
    mentions: mentionedMembers(text, members),
    mentionsEveryone: isGroup && namedIn(text).has('everyone'),
  };
}
