import type { MediaDoc } from '../store';

/** Media as its owner and the members it was shared with see it; no blob names, no messages. */
export function mediaView(doc: MediaDoc) {
  return {
    id: doc._id,
    ownerId: doc.ownerId,
    status: doc.status === 'uploading' ? 'pending' : doc.status,
    fileName: doc.fileName,
    declaredType: doc.declaredType,
    contentType: doc.contentType,
    kind: doc.kind,
    sizeBytes: doc.sizeBytes,
    width: doc.width,
    height: doc.height,
    durationMs: doc.durationMs,
    downloadOnly: doc.downloadOnly,
    hasThumbnail: Boolean(doc.blobs?.thumbnail),
    hasPreview: Boolean(doc.blobs?.preview),
    failure: doc.failure,
    createdAt: doc.createdAt.toISOString(),
    processedAt: doc.processedAt?.toISOString() ?? null,
  };
}

export type MediaView = ReturnType<typeof mediaView>;

/** A new record, before any bytes arrived. */
export function newMediaDoc(
  fields: Pick<MediaDoc, '_id' | 'ownerId' | 'status' | 'fileName' | 'declaredType' | 'sizeBytes'> &
    Partial<MediaDoc>,
): MediaDoc {
  return {
    createdAt: new Date(),
    uploadedAt: null,
    uploadExpiresAt: null,
    workflowStartedAt: null,
    uploadAnnouncedAt: null,
    processedAt: null,
    kind: null,
    contentType: null,
    detectedType: null,
    downloadOnly: false,
    width: null,
    height: null,
    durationMs: null,
    blobs: null,
    failure: null,
    messageIds: [],
    goneMessageIds: [],
    ownerDeleted: false,
    avatarOf: null,
    deleting: false,
    ...fields,
  };
}
