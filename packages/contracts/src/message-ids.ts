/**
 * A message's id names its conversation and sequence number (`m_`, the conversation id without
 * its `c_`, `_`, the number): chat's primary key guards each number, and a consumer holding a
 * conversation and a position can look a message up by `_id` without asking chat.
 */
export function messageIdFor(conversationId: string, seq: number): string {
  return `m_${conversationId.slice(2)}_${seq}`;
}
