import { Topics, chatMessageEvent, userDeletedEvent } from '@parley/contracts';
import { acknowledgeEvents, onEvent } from '@parley/service-kit';
import type { Express } from 'express';
import { mediaId } from '../ids';
import type { Processing } from '../processing/processing';
import type { MediaStore } from '../store';
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

/**
 * Keeps track of which messages carry each media item, from chat's events, and deletes media
 * nobody references any more: when the last message carrying it is deleted, and when its owner's
 * account is deleted while no message carries it. Every handler can run twice harmlessly.
 */
export function mountReferenceEvents(
  app: Express,
  deps: { store: MediaStore; processing: Processing; remover: Remover },
): void {
  const { store, processing, remover } = deps;

  onEvent(app, route(Topics.chatMessageCreated), chatMessageEvent, async ({ data }) => {
    const { message } = data;
    for (const attachment of message.attachments) {
      if (!mediaId.safeParse(attachment.mediaId).success) continue;
      // A message deleted before this event arrived does not come back as a reference.
      await store.media.updateOne(
        { _id: attachment.mediaId, goneMessageIds: { $ne: message.id } },
        { $addToSet: { messageIds: message.id } },
      );
      // Processing may have finished between chat's check and its write; tell chat again.
      const doc = await store.media.findOne({ _id: attachment.mediaId });
      if (doc && (doc.status === 'ready' || doc.status === 'failed') && attachment.status !== doc.status) {
        await processing.announceResult(doc, `:${message.id}`);
      }
    }
  });

  // Nothing to record, only an ack; it counts in no pub/sub delivery metric, only in request latency.
  acknowledgeEvents(app, MESSAGE_WITHOUT_MEDIA_ROUTE);

  onEvent(app, route(Topics.chatMessageDeleted), chatMessageEvent, async ({ data }) => {
    const messageId = data.message.id;
    const carriers = await store.media.find({ messageIds: messageId }, { projection: { _id: 1 } }).toArray();
    for (const { _id } of carriers) {
      const doc = await store.media.findOneAndUpdate(
        { _id },
        { $pull: { messageIds: messageId }, $addToSet: { goneMessageIds: messageId } },
        { returnDocument: 'after' },
      );
      if (doc && doc.messageIds.length === 0 && !doc.avatarOf)
        await remover.remove(doc, 'last message deleted');
    }
  });

  onEvent(app, route(Topics.userDeleted), userDeletedEvent, async ({ data }) => {
    await store.media.updateMany({ ownerId: data.userId }, { $set: { ownerDeleted: true } });
    await remover.removeUnreferencedOf({ ownerId: data.userId }, 'owner deleted');
  });
}
