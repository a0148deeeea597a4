import type { Conversation } from '../api/types';

/**
 * The unread count once the caller has read up to `seq`, counted as the server counts it: what
 * came after both the read cursor and the caller's joining, and, for a member added back, what
 * they had left unread when they were removed. The server's next answer replaces it (it also
 * leaves out the caller's own and deleted messages, which the client may not hold).
 */
export function unreadAfterReading(conv: Conversation, seq: number): number {
  const from = Math.max(seq, conv.me.joinSeq ?? 0);
  let unread = conv.lastSeq - from;
  const left = conv.me.leftSeq;
  if (left !== undefined && seq < left) unread += Math.max(0, Math.min(left, from) - seq);
  return Math.max(0, unread);
}
