import type { Conversation } from '../api/types';

type Absence = NonNullable<Conversation['me']['absences']>[number];

/**
 * What the caller missed: as the server says, or, from a server older than `absences`, what
 * `joinSeq` and `leftSeq` tell (for a member added back, the time since their removal).
 */
function absencesOf(me: Conversation['me']): Absence[] {
  if (me.absences) return me.absences;
  const joinSeq = me.joinSeq ?? 0;
  return [{ from: me.leftSeq ?? 0, to: joinSeq }];
}

/**
 * The unread count once the caller has read up to `seq`, counted as the server counts it: what
 * came after the read cursor while the caller was a member, so what they left unread before a
 * removal counts and what came while they were away does not. The server's next answer replaces
 * it (it also leaves out the caller's own and deleted messages, which the client may not hold).
 */
export function unreadAfterReading(conv: Conversation, seq: number): number {
  let unread = conv.lastSeq - seq;
  for (const { from, to } of absencesOf(conv.me)) {
    unread -= Math.max(0, Math.min(to, conv.lastSeq) - Math.max(from, seq));
  }
  return Math.max(0, unread);
}
