import type { Message } from '../src/api/types';

/**
 * Message number `seq` of a conversation as the server sends it: plain text from Ada, sent at
 * `seq` seconds past the epoch, never edited; `fields` changes any part.
 */
export function messageIn(conversationId: string, seq: number, fields: Partial<Message> = {}): Message {
  return {
    id: `m_${seq}`,
    conversationId,
    seq,
    clientMessageId: `client-${seq}`,
    senderId: 'u_ada',
    text: `message ${seq}`,
    replyToId: null,
    threadRootId: null,
    mentions: [],
    mentionsEveryone: false,
    attachments: [],
    reactions: [],
    createdAt: new Date(seq * 1000).toISOString(),
    editedAt: null,
    deletedAt: null,
    version: 0,
    ...fields,
  };
}
