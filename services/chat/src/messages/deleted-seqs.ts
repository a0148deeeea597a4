import { type ChatStore, DELETED_SEQS_KEPT } from '../store';

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
  await conversations.updateOne({ _id: conversationId }, { $pullAll: { deletedSeqs: oldest } });
}
