import { z } from 'zod';

/** Events of the media service beside `media.uploaded` (see `usage-events.ts`). */
export const MediaTopics = {
  /** A media item finished processing: ready to view, or failed for good. */
  mediaProcessed: 'media.processed',
} as const;

/** Where a media item stands; only `ready` media has links other than to its owner's status. */
export const MEDIA_STATUSES = ['pending', 'processing', 'ready', 'failed'] as const;

export type MediaStatus = (typeof MEDIA_STATUSES)[number];

/** What a message shows of an attachment before it is ready, and what a consumer updates. */
export const mediaProcessedEvent = z.object({
  mediaId: z.string().min(1).max(64),
  ownerId: z.string().min(1).max(64),
  status: z.enum(['ready', 'failed']),
  /** The kind the bytes turned out to be: `image`, `video`, `audio` or `file`. */
  kind: z.enum(['image', 'video', 'audio', 'file']).nullable(),
  /** Why processing failed, as a stable code (`MEDIA_TYPE_MISMATCH`); null when ready. */
  failureCode: z.string().max(64).nullable(),
  occurredAt: z.iso.datetime(),
});

export type MediaProcessedEvent = z.infer<typeof mediaProcessedEvent>;
