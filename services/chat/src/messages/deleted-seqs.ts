import { type ChatStore, type ConversationDoc, DELETED_SEQS_KEPT } from '../store';

/**
 * Notes a deleted message on its conversation, which unread counts leave out; twice over changes
 * nothing. Past twice {@link DELETED_SEQS_KEPT} numbers the list is trimmed to its newest, by value
 * (`$pullAll`): the dev store ignores `$slice` and a `$pull` by condition without a word.
 */
export async function noteDeleted(store: ChatStore, conversationId: string, seq: number): Promise<void> {
  const { conversations } = store;
  await conversations.updateOne({ _id: conversationId }, { $addToSet: { deletedSeqs: seq } });
  const { deletedSeqs = [] } =
    (await conversations.findOne({ _id: conversationId }, { projection: { deletedSeqs: 1 } })) ?? {};
  if (deletedSeqs.length <= 2 * DELETED_SEQS_KEPT) return;
  const oldest = [...deletedSeqs].sort((a, b) => a - b).slice(0, deletedSeqs.length - DELETED_SEQS_KEPT);
  // What goes is summed up, so a reader behind it still has them left out of its count.
  await conversations.updateOne(
    { _id: conversationId },
    {
      $pullAll: { deletedSeqs: oldest },
      $inc: { 'deletedTrimmed.count': oldest.length },
      $min: { 'deletedTrimmed.min': oldest[0]! },
      $max: { 'deletedTrimmed.max': oldest.at(-1)! },
    },
  );
}

/**
 * Messages after `readSeq` that are not deleted. Exact, but for a reader whose cursor lies inside
 * the numbers a trim summed up: those are then counted as if spread evenly.
 */
export function unreadAfter(
  readSeq: number,
  conversation: Pick<ConversationDoc, 'lastSeq' | 'deletedSeqs' | 'deletedTrimmed'>,
): number {
  let deleted = 0;
  for (const seq of conversation.deletedSeqs ?? []) {
    if (seq > readSeq && seq <= conversation.lastSeq) deleted += 1;
  }
  const trimmed = conversation.deletedTrimmed;
  if (trimmed && readSeq < trimmed.max) {
    deleted +=
      readSeq < trimmed.min
        ? trimmed.count
        : Math.round((trimmed.count * (trimmed.max - readSeq)) / (trimmed.max - trimmed.min + 1));
  }
  return Math.max(0, conversation.lastSeq - readSeq - deleted);
}
