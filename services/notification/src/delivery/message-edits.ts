import type { ChatMessageView } from '@parley/contracts';
import type { Filter } from 'mongodb';
import type { DeliveryDoc, DeliveryStore } from './store';

/** How much of a message's text a push or a digest quotes. */
export const SNIPPET_LENGTH = 140;

const DUPLICATE_KEY = 11000;

export const snippetOf = (text: string) => text.slice(0, SNIPPET_LENGTH);

/** Deliveries of a message whose snippet comes from a version older than `version`. */
function olderThan(messageId: string, version: number): Filter<DeliveryDoc> {
  return {
    messageId,
    $or: [{ textVersion: { $lt: version } }, { textVersion: { $exists: false } }],
  };
}

/**
 * Takes an edited message's text for every notification of it still to go out: the plans render
 * pushes and digests from the deliveries' snippets, so an edit (say, to remove a secret) reaches
 * the email that follows. An edit after the notifications went changes only the stored snippet.
 *
 * The edit may arrive before the creation (two topics, no order between them), and two edits in
 * either order: the newest version is kept in `edited_messages`, which the creation reads after it
 * wrote its deliveries (`applyNewerEdit`), and a snippet is only ever replaced by a newer version.
 */
export async function recordEdit(store: DeliveryStore, message: ChatMessageView): Promise<void> {
  if (message.deletedAt) return;
  const snippet = snippetOf(message.text);
  try {
    await store.editedMessages.updateOne(
      { _id: message.id, version: { $lt: message.version } },
      { $set: { snippet, version: message.version } },
      { upsert: true },
    );
  } catch (err) {
    // A newer edit is stored already: the filter missed it and the upsert hit its _id.
    if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
  }
  await store.deliveries.updateMany(olderThan(message.id, message.version), {
    $set: { snippet, textVersion: message.version },
  });
}

/**
 * After a creation wrote its deliveries: an edit that overtook it is applied to them now. Either
 * this read sees the edit, or the edit was stored after it and its own update finds the deliveries.
 */
export async function applyNewerEdit(
  store: DeliveryStore,
  messageId: string,
  version: number,
): Promise<void> {
  const edit = await store.editedMessages.findOne({ _id: messageId });
  if (!edit || edit.version <= version) return;
  await store.deliveries.updateMany(olderThan(messageId, edit.version), {
    $set: { snippet: edit.snippet, textVersion: edit.version },
  });
}
