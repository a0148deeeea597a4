import {
  type MediaProcessedEvent,
  MediaTopics,
  type MediaUploadedEvent,
  UsageTopics,
} from '@parley/contracts';
import type { Logger, Sidecar } from '@parley/service-kit';
import { type MediaProcessingInput, type MediaResult, TASK_QUEUE, workflowIds } from '@parley/workflows';
import type { processMedia } from '@parley/workflows/dist/workflows';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { MediaStorage } from '../storage';
import type { MediaDoc, MediaStore } from '../store';

export interface ProcessingDeps {
  store: MediaStore;
  storage: MediaStorage;
  temporal: Client;
  sidecar: Sidecar;
  logger: Logger;
}

/**
 * What happens once an upload's bytes are stored: it is announced (`media.uploaded`), its
 * processing workflow is started, and the workflow's result is stored and announced
 * (`media.processed`). Each step is marked on the record when done, so the sweep repeats what a
 * crash or an outage left undone; workflow and event ids derive from the media id, so a repeat
 * changes nothing.
 */
export class Processing {
  constructor(private readonly deps: ProcessingDeps) {}

  /** Marks the bytes stored and hands the media to the workflow. */
  async uploaded(mediaId: string, sizeBytes: number): Promise<MediaDoc | null> {
    const doc = await this.deps.store.media.findOneAndUpdate(
      { _id: mediaId, status: { $in: ['uploading', 'pending'] } },
      { $set: { status: 'processing', sizeBytes, uploadedAt: new Date(), uploadExpiresAt: null } },
      { returnDocument: 'after' },
    );
    if (doc) await this.continue(doc);
    return doc;
  }

  /** Does the steps not yet done; failures are logged and left to the sweep. */
  async continue(doc: MediaDoc): Promise<void> {
    try {
      if (!doc.uploadAnnouncedAt) await this.announceUpload(doc);
      if (!doc.workflowStartedAt) await this.startWorkflow(doc);
    } catch (err) {
      this.deps.logger.warn({ err, mediaId: doc._id }, 'media processing not started yet; the sweep retries');
    }
  }

  private async announceUpload(doc: MediaDoc): Promise<void> {
    const event: MediaUploadedEvent = {
      mediaId: doc._id,
      uploaderId: doc.ownerId,
      sizeBytes: doc.sizeBytes,
      contentType: doc.declaredType,
      occurredAt: (doc.uploadedAt ?? new Date()).toISOString(),
    };
    await this.deps.sidecar.publish(UsageTopics.mediaUploaded, event, `media.uploaded:${doc._id}`);
    await this.deps.store.media.updateOne({ _id: doc._id }, { $set: { uploadAnnouncedAt: new Date() } });
  }

  private async startWorkflow(doc: MediaDoc): Promise<void> {
    const input: MediaProcessingInput = {
      mediaId: doc._id,
      ownerId: doc.ownerId,
      fileName: doc.fileName,
      declaredType: doc.declaredType,
      sizeBytes: doc.sizeBytes,
    };
    try {
      await this.deps.temporal.workflow.start<typeof processMedia>('processMedia', {
        workflowId: workflowIds.media(doc._id),
        taskQueue: TASK_QUEUE,
        args: [input],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    await this.deps.store.media.updateOne({ _id: doc._id }, { $set: { workflowStartedAt: new Date() } });
  }

  /**
   * Stores the workflow's result once and announces it. A repeated report (an activity retried
   * after the first answer was lost) announces again under the same event id.
   */
  async recordResult(result: MediaResult): Promise<MediaDoc | null> {
    const { store } = this.deps;
    const set =
      result.status === 'ready'
        ? {
            status: 'ready' as const,
            kind: result.kind,
            contentType: result.contentType,
            detectedType: result.detectedType,
            downloadOnly: result.downloadOnly,
            width: result.width,
            height: result.height,
            durationMs: result.durationMs,
            blobs: result.blobs,
          }
        : {
            status: 'failed' as const,
            failure: { code: result.failureCode, message: result.failureMessage },
          };
    await store.media.updateOne(
      { _id: result.mediaId, status: 'processing' },
      { $set: { ...set, processedAt: new Date() } },
    );
    const doc = await store.media.findOne({ _id: result.mediaId });
    if (!doc || doc.deleting || (doc.status !== 'ready' && doc.status !== 'failed')) return doc;
    // The bytes of a refused file are of no use to anyone; they are not kept.
    if (doc.status === 'failed') await this.deps.storage.remove(doc._id);
    await this.announceResult(doc);
    return doc;
  }

  /** Tells the messages carrying an upload that was never finished that it failed for good. */
  async announceAbandoned(doc: MediaDoc): Promise<void> {
    const event: MediaProcessedEvent = {
      mediaId: doc._id,
      ownerId: doc.ownerId,
      status: 'failed',
      kind: null,
      failureCode: 'MEDIA_UPLOAD_ABANDONED',
      occurredAt: new Date().toISOString(),
    };
    await this.deps.sidecar.publish(
      MediaTopics.mediaProcessed,
      event,
      `media.processed:${doc._id}:abandoned`,
    );
  }

  /** Publishes where the media stands; `suffix` distinguishes a re-announcement for one message. */
  async announceResult(doc: MediaDoc, suffix = ''): Promise<void> {
    if (doc.status !== 'ready' && doc.status !== 'failed') return;
    const event: MediaProcessedEvent = {
      mediaId: doc._id,
      ownerId: doc.ownerId,
      status: doc.status,
      kind: doc.kind,
      failureCode: doc.failure?.code ?? null,
      occurredAt: (doc.processedAt ?? new Date()).toISOString(),
    };
    await this.deps.sidecar.publish(MediaTopics.mediaProcessed, event, `media.processed:${doc._id}${suffix}`);
  }
}
