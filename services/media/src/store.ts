import type { MediaStatus } from '@parley/contracts';
import type { Collection, Db } from 'mongodb';

export interface MediaDoc {
  _id: string;
  ownerId: string;
  /** `uploading` while bytes stream in through the service; `pending` while a direct upload is open. */
  status: 'uploading' | MediaStatus;
  fileName: string;
  /** What the uploader said the file is; checked against the bytes by the processing. */
  declaredType: string;
  /** Bytes stored (the declared size while a direct upload is open); counted against the quota. */
  sizeBytes: number;
  createdAt: Date;
  uploadedAt: Date | null;
  /** When a direct upload's write link stops working; the sweep removes it a while later. */
  uploadExpiresAt: Date | null;
  /**
   * Where a direct upload's link writes: `staging` for every one opened since links stopped
   * covering the original. Absent on one opened before, whose link still writes the original.
   */
  uploadBlob?: 'staging';
  /** Set once the processing workflow was started, so the sweep starts what a crash missed. */
  workflowStartedAt: Date | null;
  /** Set once `media.uploaded` was published, for the same reason. */
  uploadAnnouncedAt: Date | null;
  processedAt: Date | null;
  kind: 'image' | 'video' | 'audio' | 'file' | null;
  /** The type downloads are served with. */
  contentType: string | null;
  detectedType: string | null;
  downloadOnly: boolean;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  blobs: { file: string; thumbnail: string | null; preview: string | null } | null;
  failure: { code: string; message: string } | null;
  /** Messages that carry the media, from chat's events; the media goes when the last one does. */
  messageIds: string[];
  /** Deleted messages, so a late `created` event does not bring a reference back. */
  goneMessageIds: string[];
  /**
   * Sends that claimed the media (`conversationId/clientMessageId`) and whose message this
   * service has not heard of yet: while one is listed, deleting the other messages carrying the
   * media leaves it. Absent on media never claimed since this was kept.
   */
  sending?: string[];
  /** When the newest send was listed; a send listed a day ago that never arrived is dropped. */
  sendingSince?: Date | null;
  ownerDeleted: boolean;
  /**
   * The user whose profile picture it is (only its owner can make it so). Its thumbnail and
   * preview are then visible to every signed-in user, and it stays while it is the avatar.
   */
  avatarOf?: string | null;
  /**
   * The groups whose picture it is (set by one of their admins, its owner). Its thumbnail and
   * preview are then visible to every signed-in user, and it stays while it is a picture.
   */
  pictureOf?: string[];
  /** Set before the blobs are removed: the media is gone for every caller from then on. */
  deleting: boolean;
}

/**
 * A write link handed out for a direct upload's staging blob. A link cannot be revoked, so the
 * blob may be written until the link expires, whatever became of the upload; the sweep empties
 * and deletes it after that, then this record.
 */
export interface UploadLinkDoc {
  /** The media id. */
  _id: string;
  /** When the newest link for it expires. */
  expiresAt: Date;
}

/**
 * Direct and streamed uploads one user started in one clock hour, claimed before the upload is
 * accepted and given back when it is refused. `_id` is `<ownerId>:<hour start, ISO>`.
 */
export interface UploadCountDoc {
  _id: string;
  count: number;
  /** The end of the hour, after which the sweep removes the count. */
  expiresAt: Date;
}

/**
 * Bytes held by one user's uploads in flight, whose records do not say their size yet; `_id` is
 * the user id, each hold keyed by a random id and counted until `until`.
 */
export interface UploadHoldsDoc {
  _id: string;
  holds: Record<string, { bytes: number; until: Date }>;
}

export interface MediaStore {
  media: Collection<MediaDoc>;
  uploadLinks: Collection<UploadLinkDoc>;
  uploadCounts: Collection<UploadCountDoc>;
  uploadHolds: Collection<UploadHoldsDoc>;
}

export async function openStore(db: Db): Promise<MediaStore> {
  const media = db.collection<MediaDoc>('media');
  await media.createIndex({ ownerId: 1, createdAt: 1 }, { name: 'owner_created' });
  await media.createIndex({ messageIds: 1 }, { name: 'message_ids' });
  await media.createIndex({ status: 1, workflowStartedAt: 1 }, { name: 'status_workflow' });
  const uploadLinks = db.collection<UploadLinkDoc>('upload_links');
  await uploadLinks.createIndex({ expiresAt: 1 }, { name: 'expires' });
  const uploadCounts = db.collection<UploadCountDoc>('upload_counts');
  // Not a TTL index: FerretDB has none. The sweep removes the hours gone by.
  await uploadCounts.createIndex({ expiresAt: 1 }, { name: 'expires' });
  const uploadHolds = db.collection<UploadHoldsDoc>('upload_holds');
  return { media, uploadLinks, uploadCounts, uploadHolds };
}
