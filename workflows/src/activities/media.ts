import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ContainerClient, RestError } from '@azure/storage-blob';
import type { Sidecar } from '@parley/service-kit';
import { ApplicationFailure } from '@temporalio/activity';
import sharp from 'sharp';
import { mediaBlobNames, servedHeaders } from './media-blobs';
import { heartbeating } from './liveness';
import { readVideoFacts } from './media-mp4';
import { type DetectedType, SNIFF_BYTES, detectType, typeMismatch } from './media-type';

/** What the media service hands the workflow when an upload is complete. */
export interface MediaProcessingInput {
  mediaId: string;
  ownerId: string;
  fileName: string;
  declaredType: string;
  sizeBytes: number;
}

/** What processing found, reported back to the media service. */
export interface MediaFacts {
  kind: DetectedType['kind'];
  /** The type downloads are served with (`application/octet-stream` for active content). */
  contentType: string;
  detectedType: string;
  downloadOnly: boolean;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  blobs: { file: string; thumbnail: string | null; preview: string | null };
}

export type MediaResult =
  | ({ mediaId: string; status: 'ready' } & MediaFacts)
  | { mediaId: string; status: 'failed'; failureCode: string; failureMessage: string };

export interface MediaActivityDeps {
  /** The private container of media blobs. */
  mediaContainer: ContainerClient;
  sidecar: Sidecar;
  /** Largest image, in pixels (all frames together), that is decoded at all. */
  maxImagePixels: number;
}

/** Images re-encoded (which drops their metadata), and the format each is written in. */
const RECODED: Record<string, { format: 'jpeg' | 'png' | 'webp' | 'gif' | 'avif'; mime: string }> = {
  'image/jpeg': { format: 'jpeg', mime: 'image/jpeg' },
  'image/png': { format: 'png', mime: 'image/png' },
  'image/webp': { format: 'webp', mime: 'image/webp' },
  'image/gif': { format: 'gif', mime: 'image/gif' },
  'image/avif': { format: 'avif', mime: 'image/avif' },
  'image/tiff': { format: 'png', mime: 'image/png' },
};

export const THUMBNAIL_SIZE = 320;
export const PREVIEW_SIZE = 1280;

/** Bad input: the workflow marks the media failed at once, without retrying. */
function rejected(code: string, message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, code);
}

function isNotFound(err: unknown): boolean {
  return err instanceof RestError && err.statusCode === 404;
}

/**
 * The media processing activities. Every one may run again after a crash or a retry: blob names
 * derive from the media id, writes overwrite, and the original is only removed at the very end.
 * Each heartbeats while it runs, so the retry after a worker died mid-step starts within the
 * workflow's heartbeatTimeout.
 */
export function createMediaActivities({ mediaContainer, sidecar, maxImagePixels }: MediaActivityDeps) {
  const blob = (name: string) => mediaContainer.getBlockBlobClient(name);

  /** The uploaded bytes, or (when a finished run already removed them) the cleaned copy. */
  async function sourceBlob(mediaId: string) {
    const original = blob(mediaBlobNames.original(mediaId));
    if (await original.exists()) return original;
    const cleaned = blob(mediaBlobNames.file(mediaId));
    if (await cleaned.exists()) return cleaned;
    throw rejected('MEDIA_MISSING', 'the uploaded file is not in storage');
  }

  async function readRange(name: string, offset: number, length: number): Promise<Buffer> {
    try {
      return await blob(name).downloadToBuffer(offset, length);
    } catch (err) {
      // A range past the end answers 416: there is nothing more to read.
      if (err instanceof RestError && err.statusCode === 416) return Buffer.alloc(0);
      throw err;
    }
  }

  return heartbeating({
    /** Detects the type from the first bytes and refuses a file whose claims contradict them. */
    async inspectMedia(input: MediaProcessingInput): Promise<DetectedType> {
      const source = await sourceBlob(input.mediaId);
      const properties = await source.getProperties();
      if (!properties.contentLength) throw rejected('MEDIA_EMPTY', 'the file is empty');
      const head = await source.downloadToBuffer(0, Math.min(SNIFF_BYTES, properties.contentLength));
      const detected = detectType(head);
      const mismatch = typeMismatch(detected, input.declaredType, input.fileName);
      if (mismatch) throw rejected('MEDIA_TYPE_MISMATCH', mismatch);
      return detected;
    },

    /**
     * Re-encodes an image without its metadata (EXIF, GPS, XMP, comments) and makes a thumbnail
     * and a preview. The pixel count is checked from the header before anything is decoded, and
     * sharp's own input limit backs that up, so a decompression bomb fails before it costs memory.
     */
    async processImage(input: MediaProcessingInput, detected: DetectedType): Promise<MediaFacts> {
      const target = RECODED[detected.mime];
      if (!target) throw rejected('MEDIA_UNSUPPORTED_IMAGE', `${detected.mime} images are not processed`);
      const dir = await mkdtemp(join(tmpdir(), 'parley-media-'));
      try {
        const path = join(dir, 'source');
        await (await sourceBlob(input.mediaId)).downloadToFile(path);
        const limit = { limitInputPixels: maxImagePixels };
        let meta: sharp.Metadata;
        try {
          // Reading the header decodes no pixels; the limit is checked on its figures below.
          meta = await sharp(path, { limitInputPixels: false }).metadata();
        } catch (err) {
          throw rejected('MEDIA_IMAGE_UNREADABLE', `the image cannot be read: ${(err as Error).message}`);
        }
        const pixels = (meta.width ?? 0) * (meta.height ?? 0) * (meta.pages ?? 1);
        if (!meta.width || !meta.height || pixels > maxImagePixels) {
          throw rejected(
            'MEDIA_TOO_MANY_PIXELS',
            `the image has ${meta.width}x${meta.height} pixels` +
              `${(meta.pages ?? 1) > 1 ? ` in ${meta.pages} frames` : ''}; at most ${maxImagePixels} are accepted`,
          );
        }
        const animated = (meta.pages ?? 1) > 1 && (target.format === 'gif' || target.format === 'webp');
        const render = async (name: string, image: sharp.Sharp, mime: string) => {
          let data: Buffer;
          try {
            data = await image.toBuffer();
          } catch (err) {
            throw rejected(
              'MEDIA_IMAGE_UNREADABLE',
              `the image cannot be decoded: ${(err as Error).message}`,
            );
          }
          await blob(name).uploadData(data, {
            blobHTTPHeaders: servedHeaders(mime, false, input.fileName),
          });
        };
        // No withMetadata(): sharp writes none of the input's metadata. rotate() first applies
        // the EXIF orientation, which would otherwise be lost with it.
        const cleaned = sharp(path, { ...limit, animated })
          .rotate()
          .toFormat(target.format);
        await render(mediaBlobNames.file(input.mediaId), cleaned, target.mime);
        const scaled = (size: number, quality: number) =>
          sharp(path, limit)
            .rotate()
            .resize(size, size, { fit: 'inside', withoutEnlargement: true })
            .webp({ quality });
        await render(mediaBlobNames.thumbnail(input.mediaId), scaled(THUMBNAIL_SIZE, 70), 'image/webp');
        await render(mediaBlobNames.preview(input.mediaId), scaled(PREVIEW_SIZE, 80), 'image/webp');
        // An orientation of 5 to 8 turns the picture a quarter: the served size is swapped.
        const turned = (meta.orientation ?? 1) >= 5;
        return {
          kind: 'image',
          contentType: target.mime,
          detectedType: detected.mime,
          downloadOnly: false,
          width: turned ? meta.height : meta.width,
          height: turned ? meta.width : meta.height,
          durationMs: null,
          blobs: {
            file: mediaBlobNames.file(input.mediaId),
            thumbnail: mediaBlobNames.thumbnail(input.mediaId),
            preview: mediaBlobNames.preview(input.mediaId),
          },
        };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },

    /**
     * Any other file is served as uploaded, with the detected type and safe headers stored on
     * its blob; a video's duration and size are read from its header boxes.
     */
    async describeFile(input: MediaProcessingInput, detected: DetectedType): Promise<MediaFacts> {
      const name = mediaBlobNames.original(input.mediaId);
      const facts =
        detected.kind === 'video' && /mp4|quicktime/.test(detected.mime)
          ? await readVideoFacts((offset, length) => readRange(name, offset, length))
          : { durationMs: null, width: null, height: null };
      const headers = servedHeaders(detected.mime, detected.active, input.fileName);
      await blob(name).setHTTPHeaders(headers);
      return {
        kind: detected.kind,
        contentType: headers.blobContentType ?? 'application/octet-stream',
        detectedType: detected.mime,
        downloadOnly: detected.active || !/^(image|video|audio)\//.test(detected.mime),
        ...facts,
        blobs: { file: name, thumbnail: null, preview: null },
      };
    },

    /** Tells the media service the outcome; it stores it and announces it once. */
    async recordMediaResult(result: MediaResult): Promise<void> {
      const answer = await sidecar.invoke('media', `internal/v1/media/${result.mediaId}/result`, {
        method: 'POST',
        body: result,
        signal: AbortSignal.timeout(10_000),
      });
      if (answer.status === 404) return; // deleted meanwhile: nothing left to record
      if (answer.status >= 400 && answer.status < 500) {
        throw rejected('MEDIA_RESULT_REFUSED', `the media service refused the result: ${answer.status}`);
      }
      if (answer.status >= 300) throw new Error(`the media service answered ${answer.status}`);
    },

    /** Removes the uploaded bytes once a cleaned copy is served instead (they may hold GPS data). */
    async discardOriginal(mediaId: string): Promise<void> {
      try {
        await blob(mediaBlobNames.original(mediaId)).deleteIfExists();
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  });
}

export type MediaActivities = ReturnType<typeof createMediaActivities>;
