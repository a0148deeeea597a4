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
  ownerDeleted: boolean;
  /**
   * The user whose profile picture it is (only its owner can make it so). Its thumbnail and
   * preview are then visible to every signed-in user, and it stays while it is the avatar.
   */
  avatarOf?: string | null;
  /** Set before the blobs are removed: the media is gone for every caller from then on. */
  deleting: boolean;
}

export interface MediaStore {
  media: Collection<MediaDoc>;
}

export async function openStore(db: Db): Promise<MediaStore> {
  const media = db.collection<MediaDoc>('media');
  await media.createIndex({ ownerId: 1, createdAt: 1 }, { name: 'owner_created' });
  await media.createIndex({ messageIds: 1 }, { name: 'message_ids' });
  await media.createIndex({ status: 1, workflowStartedAt: 1 }, { name: 'status_workflow' });
  return { media };
}
