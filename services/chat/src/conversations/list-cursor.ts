import { z } from 'zod';
import type { ConversationDoc } from '../store';

/**
 * Where a page of the conversation list ended. The list is ordered by lastActivity, newest first,
 * then by id; conversations often share a lastActivity to the millisecond (sends are written in
 * batches), so a page ends at a conversation, not at a time.
 */
export interface ListCursor {
  lastActivity: Date;
  /** The last conversation listed; null for a bare time (what clients before the id sent). */
  conversationId: string | null;
}

/** `nextBefore`: the last item's lastActivity and id, joined by `~` (unreserved in a URL). */
const WITH_ID = /^([^~]+)~(c_[0-9a-f]{24})$/;
const dateTime = z.iso.datetime();

/** The time part of a cursor, or the whole of a bare time. */
function timeOf(value: string): string {
  return WITH_ID.exec(value)?.[1] ?? value;
}

/**
 * A `before` query parameter: the `nextBefore` of an earlier page or, from clients written before
 * cursors named a conversation, a bare date-time (everything strictly older, as it always meant).
 */
export const listCursor = z
  .string()
  .refine((value) => dateTime.safeParse(timeOf(value)).success, {
    message: 'must be the nextBefore of an earlier page',
  })
  .transform((value): ListCursor => ({
    lastActivity: new Date(timeOf(value)),
    conversationId: WITH_ID.exec(value)?.[2] ?? null,
  }));

/** The cursor of a page that ends at `last`. */
export function cursorAfter(last: ConversationDoc): string {
  return `${last.lastActivity.toISOString()}~${last._id}`;
}

/**
 * The filter for what lies past `cursor` in the list's order `{ lastActivity: -1, _id: 1 }`: older,
 * or as old and after it by id.
 */
export function pastCursor(cursor: ListCursor): Record<string, unknown> {
  if (cursor.conversationId === null) return { lastActivity: { $lt: cursor.lastActivity } };
  return {
    $or: [
      { lastActivity: { $lt: cursor.lastActivity } },
      { lastActivity: cursor.lastActivity, _id: { $gt: cursor.conversationId } },
    ],
  };
}

/** The order the list is read in; the cursor's filter above assumes it. */
export const LIST_ORDER = { lastActivity: -1, _id: 1 } as const;
