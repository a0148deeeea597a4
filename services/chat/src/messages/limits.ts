import { TooManyReactionsError } from '../errors';
import type { MessageDoc } from '../store';

/**
 * The most earlier texts a message keeps in its edit history; an edit past them drops the oldest.
 * Each is up to 4,000 characters and every member reads them all, so the history cannot grow with
 * every edit (nor the document towards the database's 16 MB limit).
 */
export const MAX_EDITS_KEPT = 20;

/** The most reactions one user leaves on one message, each a different emoji. */
export const MAX_REACTIONS_PER_USER = 20;

/** The most different emoji one message holds; each is sent with the message to every member. */
export const MAX_REACTION_KINDS = 50;

/** The edit history after one more edit: the text replaced joins it, past the limit the oldest go. */
export function withEdit(doc: MessageDoc, editedAt: Date): MessageDoc['edits'] {
  return [...doc.edits, { text: doc.text, editedAt }].slice(-MAX_EDITS_KEPT);
}

/** Why `userId` may not add `emoji` to the message as it is, or undefined when they may. */
export function reactionRefusal(
  doc: MessageDoc,
  userId: string,
  emoji: string,
): TooManyReactionsError | undefined {
  const own = doc.reactions.filter((r) => r.userId === userId).length;
  if (own >= MAX_REACTIONS_PER_USER)
    return new TooManyReactionsError(doc._id, 'user', MAX_REACTIONS_PER_USER);
  const kinds = new Set(doc.reactions.map((r) => r.emoji));
  if (!kinds.has(emoji) && kinds.size >= MAX_REACTION_KINDS) {
    return new TooManyReactionsError(doc._id, 'message', MAX_REACTION_KINDS);
  }
  return undefined;
}
