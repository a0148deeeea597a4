import { type ChatMessageView, Topics, chatMessageEvent, userDeletedEvent } from '@parley/contracts';
import { acknowledgeEvents, onEvent } from '@parley/service-kit';
import type { Express } from 'express';
import { mediaId } from '../ids';
import type { Processing } from '../processing/processing';
import type { MediaDoc, MediaStore } from '../store';
import type { Remover } from './remover';

const route = (topic: string) => `/dapr/events/${topic.replaceAll('.', '-')}`;

/** The topics this service subscribes to, beside the operator probe. */
export const REFERENCE_TOPICS = [Topics.chatMessageCreated, Topics.chatMessageDeleted, Topics.userDeleted];

/**
 * Where the sidecar delivers a new message without attachments: the routing rule in
 * components/subscription-media-chat-message-created.yaml sends only those with attachments to
 * the handler, which saves a parse, a validation and a handler run per plain message.
 */
const MESSAGE_WITHOUT_MEDIA_ROUTE = `${route(Topics.chatMessageCreated)}-without-media`;

/** What the reference handlers need. */
export interface ReferenceDeps {
  store: MediaStore;
  processing: Pick<Processing, 'announceResult'>;
  remover: Pick<Remover, 'remove'>;
}

/** How long a send listed as about to carry media is waited for before it is dropped. */
export const SENDING_GRACE_MS = 24 * 60 * 60 * 1000;

const sendKey = (send: { conversationId: string; clientMessageId: string }) =>
  `${send.conversationId}/${send.clientMessageId}`;

/**
 * Lists a send that claimed the media before its message is stored (chat asks first), so that a
 * deletion of the other messages carrying the media meanwhile leaves it: the `created` event of
 * the send's message is what names it among the carriers, and it may come after that deletion.
 */
export async function noteSending(
  store: MediaStore,
  id: string,
  send: { conversationId: string; clientMessageId: string },
): Promise<void> {
  await store.media.updateOne(
    { _id: id },
    { $addToSet: { sending: sendKey(send) }, $set: { sendingSince: new Date() } },
  );
}

/** Nothing carries the media, nor is about to, and it is no user's nor group's picture. */
function unreferenced(doc: MediaDoc): boolean {
  const carried = doc.messageIds.length > 0 || (doc.sending ?? []).length > 0;
  return !carried && !doc.avatarOf && (doc.pictureOf ?? []).length === 0;
}

/**
 * Deletes media whose last carrier went, unless a send claimed it meanwhile. The mark comes
 * first and tells what was listed when it was made; a claim checks the mark after listing itself.
 * So either the claim was listed before the mark, and the deletion stands down, or it sees the
 * mark and refuses the attachment.
 */
export async function removeUnlessClaimed(
  deps: Pick<ReferenceDeps, 'store' | 'remover'>,
  id: string,
  reason: string,
): Promise<void> {
  const before = await deps.store.media.findOneAndUpdate(
    { _id: id },
    { $set: { deleting: true } },
    { returnDocument: 'before' },
  );
  if (!before) return;
  if (!before.deleting && !unreferenced(before)) {
    await deps.store.media.updateOne({ _id: id }, { $set: { deleting: false } });
    return;
  }
  await deps.remover.remove(before, reason);
}

/** A new message carrying media: it becomes a carrier, and its send is no longer waited for. */
export async function messageCreated(deps: ReferenceDeps, message: ChatMessageView): Promise<void> {
  const { store, processing } = deps;
  for (const attachment of message.attachments) {
    if (!mediaId.safeParse(attachment.mediaId).success) continue;
    // A message deleted before this event arrived does not come back as a reference.
    await store.media.updateOne(
      { _id: attachment.mediaId, goneMessageIds: { $ne: message.id } },
      { $addToSet: { messageIds: message.id } },
    );
    const doc = await store.media.findOneAndUpdate(
      { _id: attachment.mediaId },
      { $pull: { sending: sendKey(message) } },
      { returnDocument: 'after' },
    );
    if (!doc || doc.deleting) continue;
    // Its other carriers were deleted while this send was waited for, and so was this message.
    if (unreferenced(doc) && doc.goneMessageIds.length > 0) {
      await removeUnlessClaimed(deps, doc._id, 'last message deleted');
      continue;
    }
    // Processing may have finished between chat's check and its write; tell chat again.
    if ((doc.status === 'ready' || doc.status === 'failed') && attachment.status !== doc.status) {
      await processing.announceResult(doc, `:${message.id}`);
    }
  }
}

/** A deleted message: it no longer carries its media, and media nothing carries goes. */
export async function messageDeleted(deps: ReferenceDeps, messageId: string): Promise<void> {
  const { store } = deps;
  const carriers = await store.media.find({ messageIds: messageId }, { projection: { _id: 1 } }).toArray();
  for (const { _id } of carriers) {
    const doc = await store.media.findOneAndUpdate(
      { _id },
      { $pull: { messageIds: messageId }, $addToSet: { goneMessageIds: messageId } },
      { returnDocument: 'after' },
    );
    if (doc && unreferenced(doc)) await removeUnlessClaimed(deps, _id, 'last message deleted');
  }
}

/**
 * Keeps track of which messages carry each media item, from chat's events, and deletes media
 * nobody references any more: when the last message carrying it is deleted, and when its owner's
 * account is deleted while no message carries it. Every handler can run twice harmlessly.
 */
export function mountReferenceEvents(
  app: Express,
  deps: { store: MediaStore; processing: Processing; remover: Remover },
): void {
  const { store, remover } = deps;

  onEvent(app, route(Topics.chatMessageCreated), chatMessageEvent, async ({ data }) => {
    await messageCreated(deps, data.message);
  });

  // Nothing to record, only an ack; it counts in no pub/sub delivery metric, only in request latency.
  acknowledgeEvents(app, MESSAGE_WITHOUT_MEDIA_ROUTE);

  onEvent(app, route(Topics.chatMessageDeleted), chatMessageEvent, async ({ data }) => {
    await messageDeleted(deps, data.message.id);
  });

  onEvent(app, route(Topics.userDeleted), userDeletedEvent, async ({ data }) => {
    await store.media.updateMany({ ownerId: data.userId }, { $set: { ownerDeleted: true } });
    await remover.removeUnreferencedOf({ ownerId: data.userId }, 'owner deleted');
  });
}
