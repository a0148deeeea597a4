import { z } from 'zod';

/**
 * Events of the media and notification services that the analytics service counts. They carry
 * ids, sizes and outcomes only, never content.
 */
export const UsageTopics = {
  /** A file finished uploading. */
  mediaUploaded: 'media.uploaded',
  /** A notification reached its channel's provider, or failed to for good. */
  notificationOutcome: 'notification.outcome',
} as const;

export const NOTIFICATION_CHANNELS = ['email', 'sms', 'push', 'in_app'] as const;

export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export const mediaUploadedEvent = z.object({
  mediaId: z.string().min(1).max(64),
  uploaderId: z.string().min(1).max(64),
  sizeBytes: z.number().int().nonnegative(),
  contentType: z.string().max(255),
  occurredAt: z.iso.datetime(),
});

export type MediaUploadedEvent = z.infer<typeof mediaUploadedEvent>;

export const notificationOutcomeEvent = z.object({
  notificationId: z.string().min(1).max(128),
  userId: z.string().min(1).max(64),
  channel: z.enum(NOTIFICATION_CHANNELS),
  outcome: z.enum(['delivered', 'failed']),
  occurredAt: z.iso.datetime(),
});

export type NotificationOutcomeEvent = z.infer<typeof notificationOutcomeEvent>;
