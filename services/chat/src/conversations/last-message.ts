import { messageIdFor } from '@parley/contracts';
import { previewOf } from '../messages/view';
import type { ChatStore, ConversationDoc } from '../store';

export interface LastMessage {
  id: string;
  seq: number;
  senderId: string;
  preview: string;
  deleted: boolean;
}

/**
 * The conversation's newest message as its list entry shows it, read when the list is: the
 * message numbered `lastSeq` (stored before lastSeq is raised to it, so it is there). Nothing
 * about it is kept on the conversation, so concurrent sends, edits and deletions cannot leave a
 * stale preview behind, and a send writes the conversation by its `_id` alone.
 */
export async function lastMessageOf(
  store: ChatStore,
  conversation: Pick<ConversationDoc, '_id' | 'lastSeq'>,
): Promise<LastMessage | null> {
  if (conversation.lastSeq === 0) return null;
  const doc = await store.messages.findOne({ _id: messageIdFor(conversation._id, conversation.lastSeq) });
  if (!doc) return null;
  return {
    id: doc._id,
    seq: doc.seq,
    senderId: doc.senderId,
    preview: previewOf(doc),
    deleted: doc.deletedAt !== null,
  };
}
