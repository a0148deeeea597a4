import type { ChatMessageView } from '@parley/contracts';
import type { DeliveryDoc, DeliveryStore, EditedMessageDoc } from './store';

/** How much of a message's text a push or a digest quotes. */
export const SNIPPET_LENGTH = 140;

export const snippetOf = (text: string) => text.slice(0, SNIPPET_LENGTH);

/**
 * Keeps an edited message's text for every notification of it still to go out: plans quote the
 * newest edit (`quotedSnippet`), so an edit (say, to remove a secret) reaches the email that
 * follows. An edit after the notifications went changes nothing sent.
 *
 * The edit may arrive before the creation (two topics, no order between them), and two edits in
 * either order. One upsert on `_id` alone takes each of them: `$max` keeps the newest version and
 * every edit's text sits under its own version, so the text of the newest is always there, however
 * the writes interleave. The ledger's deliveries are not touched: the dev store would read every
 * delivery to find a message's.
 */
export async function recordEdit(store: DeliveryStore, message: ChatMessageView): Promise<void> {
  if (message.deletedAt) return;
  await store.editedMessages.updateOne(
    { _id: message.id },
    {
      $max: { version: message.version },
      $set: { [`snippets.${message.version}`]: snippetOf(message.text) },
    },
    { upsert: true },
  );
  // Deleted meanwhile: the deletion wrote its tombstone, then forgot the edits; if that was before
  // the write above, this read finds the tombstone, and the text goes here.
  if (await store.deletedMessages.findOne({ _id: message.id }, { projection: { _id: 1 } })) {
    await store.editedMessages.deleteOne({ _id: message.id });
    return;
  }
  // The texts an edit replaced are not kept (an edit may have removed a secret). The version only
  // grows, so what is below it is never read again; an edit racing this one may leave one behind.
  const doc = await store.editedMessages.findOne({ _id: message.id });
  if (!doc?.snippets?.[String(doc.version)]) return;
  const replaced = Object.keys(doc.snippets)
    .filter((version) => Number(version) < doc.version)
    .map((version) => `snippets.${version}`);
  // A document from before `snippets` kept its one edit's text in `snippet`.
  if (doc.snippet !== undefined) replaced.push('snippet');
  if (replaced.length > 0) {
    await store.editedMessages.updateOne(
      { _id: message.id },
      { $unset: Object.fromEntries(replaced.map((path) => [path, ''])) },
    );
  }
}

/** The newest edit's text and version, also from a document written before `snippets`. */
export function newestEdit(doc: EditedMessageDoc): { snippet: string; version: number } | null {
  const snippet = doc.snippets?.[String(doc.version)] ?? doc.snippet;
  return snippet === undefined ? null : { snippet, version: doc.version };
}

/**
 * What a notification quotes of a delivered message: its newest edit when that is newer than the
 * text the delivery was written with (an entry without `textVersion` predates edits being
 * followed, and any edit counts as newer).
 */
export function quotedSnippet(delivery: DeliveryDoc, edit: EditedMessageDoc | null): string {
  const newest = edit ? newestEdit(edit) : null;
  if (!newest) return delivery.snippet;
  const older = delivery.textVersion === undefined || delivery.textVersion < newest.version;
  return older ? newest.snippet : delivery.snippet;
}
