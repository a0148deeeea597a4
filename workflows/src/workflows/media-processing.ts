import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { MediaActivities, MediaFacts, MediaProcessingInput, MediaResult } from '../activities/media';

/** Storage and the media service may be down for a while; bad input fails on the first try. */
const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;

/**
 * Every media activity heartbeats while it runs, so an attempt on a worker that died is retried
 * once its heartbeats stop for this long; startToCloseTimeout only bounds a slow living attempt.
 */
const heartbeatTimeout = '15 seconds';

const { inspectMedia, describeFile, recordMediaResult, discardOriginal } = proxyActivities<MediaActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout,
  retry: { ...retry, maximumAttempts: 10 },
});

const { processImage } = proxyActivities<MediaActivities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout,
  retry: { ...retry, maximumAttempts: 5 },
});

/** Image types re-encoded with thumbnails; other images are kept as files. */
const PROCESSED_IMAGES = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/tiff',
]);

/**
 * Processes one upload: detects its real type, cleans and scales an image or describes any other
 * file, and reports ready or failed (with a stable code) to the media service. Its id comes from
 * the media id, so an upload is processed once however often the start is repeated.
 */
export async function processMedia(input: MediaProcessingInput): Promise<MediaResult> {
  let result: MediaResult;
  try {
    const detected = await inspectMedia(input);
    const facts: MediaFacts =
      detected.kind === 'image' && PROCESSED_IMAGES.has(detected.mime)
        ? await processImage(input, detected)
        : await describeFile(input, detected);
    result = { mediaId: input.mediaId, status: 'ready', ...facts };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    const refused = cause instanceof ApplicationFailure && cause.nonRetryable;
    result = {
      mediaId: input.mediaId,
      status: 'failed',
      failureCode: refused && cause.type ? cause.type : 'MEDIA_PROCESSING_FAILED',
      failureMessage: refused ? cause.message : 'processing failed after repeated attempts',
    };
  }
  await recordMediaResult(result);
  if (result.status === 'ready' && result.blobs.file !== `${input.mediaId}/original`) {
    await discardOriginal(input.mediaId);
  }
  return result;
}
