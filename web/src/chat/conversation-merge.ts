import type { Conversation } from '../api/types';
import { unreadAfterReading } from './unread';

/**
 * One conversation as two copies know it: the one the store holds and one just read from the
 * server. A read can be answered before a live event the store has applied since (a page of the
 * list read early, say), so each part is taken from the copy that is newer for it, by numbers the
 * server gives: `version` for the name, topic and picture; `lastSeq` for the last message and its
 * time; the read and delivered cursors for how far the caller got. Everything else comes from the
 * copy read, which is the server's word.
 *
 * TODO(conversation-settings): muted and archived carry no number, so a copy read before the
 * caller changed them still brings the former setting back until the next read.
 */
export function mergeConversation(held: Conversation | undefined, read: Conversation): Conversation {
  if (!held) return read;
  const merged: Conversation = { ...held, ...read, me: { ...read.me } };

  if (held.version !== undefined && read.version !== undefined && held.version > read.version) {
    merged.version = held.version;
    merged.name = held.name;
    merged.topic = held.topic;
    merged.avatarMediaId = held.avatarMediaId;
    if (held.requiresApproval !== undefined) merged.requiresApproval = held.requiresApproval;
  }

  // The server moves lastActivity only with lastSeq, so the number alone orders the copies.
  const messages = Math.sign(held.lastSeq - read.lastSeq);
  if (messages > 0) {
    merged.lastSeq = held.lastSeq;
    merged.lastActivity = held.lastActivity;
    merged.lastMessage = held.lastMessage;
  }
  const reading = Math.sign(held.me.readSeq - read.me.readSeq);
  merged.me.readSeq = Math.max(held.me.readSeq, read.me.readSeq);
  merged.me.deliveredSeq = Math.max(held.me.deliveredSeq, read.me.deliveredSeq);

  // The count follows the copy that is newer on both; when each is newer on one, it is counted
  // again from the merged numbers, as reading does, until the server's next answer.
  const heldAhead = messages > 0 || reading > 0;
  const readAhead = messages < 0 || reading < 0;
  if (heldAhead && !readAhead) {
    if (held.unreadCount !== undefined) merged.unreadCount = held.unreadCount;
  } else if (heldAhead && readAhead) {
    merged.unreadCount = unreadAfterReading(merged, merged.me.readSeq);
  }
  return merged;
}
