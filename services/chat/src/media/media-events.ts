import { MediaTopics, Topics, mediaProcessedEvent } from '@parley/contracts';
import { onEvent } from '@parley/service-kit';
import type { Express } from 'express';
import type { Conversations } from '../conversations/service';
import type { ChatEvents } from '../events';
import { messageView } from '../messages/view';
import type { ChatStore } from '../store';

/** Where the sidecar delivers `media.processed`. */
export const MEDIA_PROCESSED_ROUTE = '/dapr/events/media-processed';

/** A concurrent change (an edit, a reaction) makes the update try again, this often. */
const MAX_ATTEMPTS = 5;

/**
 * When media finishes processing, each live message carrying it shows the new status. The change
 * goes out as `chat.message.edited` (the message with a raised version), which reaches members'
 * sockets as `message:edited`; its `editedAt` stays as it was, since the text did not change.
 * A group whose picture it is loses the picture when it failed or is not an image after all.
 */
export function mountMediaEvents(
  app: Express,
  store: ChatStore,
  events: ChatEvents,
  pictures: Pick<Conversations, 'dropPicture'>,
): void {
  onEvent(app, MEDIA_PROCESSED_ROUTE, mediaProcessedEvent, async ({ data }) => {
    // A group picture set while it was processing, which turned out not to be an image.
    if (data.status === 'failed' || data.kind !== 'image') {
      await pictures.dropPicture(data.mediaId, data.ownerId);
    }
    const carriers = await store.messages
      .find({ 'attachments.mediaId': data.mediaId, deletedAt: null }, { projection: { _id: 1 } })
      .toArray();
    for (const { _id } of carriers) {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const doc = await store.messages.findOne({ _id });
        if (!doc || doc.deletedAt) break;
        const stale = doc.attachments.some((a) => a.mediaId === data.mediaId && a.status !== data.status);
        if (!stale) break;
        const attachments = doc.attachments.map((a) =>
          a.mediaId === data.mediaId ? { ...a, status: data.status } : a,
        );
        const updated = await store.messages.findOneAndUpdate(
          { _id, version: doc.version, deletedAt: null },
          { $set: { attachments }, $inc: { version: 1 } },
          { returnDocument: 'after' },
        );
        if (!updated) continue;
        await events.message(Topics.chatMessageEdited, {
          conversationId: updated.conversationId,
          actorId: data.ownerId,
          message: messageView(updated),
        });
        break;
      }
    }
  });
}

export const MEDIA_TOPICS = [MediaTopics.mediaProcessed];
