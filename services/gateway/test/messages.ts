import type { ChatMessageView } from '@parley/contracts';

export const CONVERSATION = 'c_000000000000000000000001';

/** Message `seq` of the test conversation, as chat describes it. */
export function message(seq: number): ChatMessageView {
  return {
    id: `m_${String(seq).padStart(24, '0')}`,
    conversationId: CONVERSATION,
    seq,
    clientMessageId: `client-${seq}`,
    senderId: 'u_alice',
    text: `message ${seq}`,
    replyToId: null,
    threadRootId: null,
    mentions: [],
    mentionsEveryone: false,
    attachments: [],
    reactions: [],
    createdAt: new Date(0).toISOString(),
    editedAt: null,
    deletedAt: null,
    version: 0,
  };
}
