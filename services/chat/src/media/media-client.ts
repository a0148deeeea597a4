import { MEDIA_STATUSES, type MediaStatus } from '@parley/contracts';
import { AppError, DependencyError, type Sidecar } from '@parley/service-kit';
import type { MessageDoc } from '../store';

export type Attachment = MessageDoc['attachments'][number];

/** What chat asks the media service about attachments. */
export interface MediaCatalog {
  /**
   * Checks that the sender owns each media item and that none failed processing; answers the
   * attachments with each one's current status. The media service also notes the send (its
   * conversation and client message id) as one about to carry the media, so that a deletion of
   * another message carrying it meanwhile does not delete the media under it.
   */
  claim(userId: string, attachments: { mediaId: string }[], send: MediaSend): Promise<Attachment[]>;
}

/** The send that claims media, as the media service finds it again in `chat.message.created`. */
export interface MediaSend {
  conversationId: string;
  clientMessageId: string;
}

export class MediaNotFoundError extends AppError {
  constructor(mediaId: string) {
    super('CHAT_MEDIA_NOT_FOUND', 404, 'No such media among yours.', { mediaId });
  }
}

export class MediaFailedError extends AppError {
  constructor(mediaId: string) {
    super('CHAT_MEDIA_FAILED', 409, 'This media failed processing and cannot be sent.', { mediaId });
  }
}

export class MediaNotAnImageError extends AppError {
  constructor(mediaId: string) {
    super('CHAT_MEDIA_NOT_AN_IMAGE', 409, 'A group picture must be an image.', { mediaId });
  }
}

/** What chat asks the media service about a group's picture. */
export interface GroupPictures {
  /**
   * Makes an image of the caller's own the group's picture: its thumbnail and preview are then
   * visible to every signed-in user, and it stays while it is the picture. Answers the media's
   * status: one still processing may yet turn out not to be an image. Asking again changes
   * nothing, and answers as a first time would.
   */
  set(userId: string, mediaId: string, conversationId: string): Promise<MediaStatus>;
  /** The media is the group's picture no more. */
  clear(mediaId: string, conversationId: string): Promise<void>;
}

/** The media service's side of group pictures, reached through service invocation. */
export function groupPictures(sidecar: Sidecar): GroupPictures {
  return {
    async set(userId, mediaId, conversationId) {
      const result = await sidecar.invoke<{ status?: unknown }>(
        'media',
        `internal/v1/media/${encodeURIComponent(mediaId)}/group-picture`,
        { method: 'POST', body: { userId, conversationId }, signal: AbortSignal.timeout(5_000) },
      );
      if (result.status === 404 || result.status === 400) throw new MediaNotFoundError(mediaId);
      if (result.status === 409) throw new MediaNotAnImageError(mediaId);
      const status = result.body?.status;
      if (result.status !== 200 || !isMediaStatus(status)) {
        throw new DependencyError('media', `media answered ${result.status} to a group picture`);
      }
      return status;
    },
    async clear(mediaId, conversationId) {
      const result = await sidecar.invoke(
        'media',
        `internal/v1/media/${encodeURIComponent(mediaId)}/group-picture/${encodeURIComponent(conversationId)}`,
        { method: 'DELETE', signal: AbortSignal.timeout(5_000) },
      );
      if (result.status !== 204 && result.status !== 404) {
        throw new DependencyError('media', `media answered ${result.status} to a group picture's end`);
      }
    },
  };
}

function isMediaStatus(value: unknown): value is MediaStatus {
  return typeof value === 'string' && (MEDIA_STATUSES as readonly string[]).includes(value);
}

/** The media service, reached through service invocation. */
export function mediaCatalog(sidecar: Sidecar): MediaCatalog {
  return {
    async claim(userId, attachments, send) {
      const claimed: Attachment[] = [];
      for (const { mediaId } of attachments) {
        const result = await sidecar.invoke<{ status?: unknown }>(
          'media',
          `internal/v1/media/${encodeURIComponent(mediaId)}/attach`,
          { method: 'POST', body: { userId, send }, signal: AbortSignal.timeout(5_000) },
        );
        // A malformed id is unknown media to the sender, like one of someone else's.
        if (result.status === 404 || result.status === 400) throw new MediaNotFoundError(mediaId);
        if (result.status === 409) throw new MediaFailedError(mediaId);
        const status = result.body?.status;
        if (result.status !== 200 || !isMediaStatus(status)) {
          throw new DependencyError('media', `media answered ${result.status} to an attachment check`);
        }
        claimed.push({ mediaId, status });
      }
      return claimed;
    },
  };
}
