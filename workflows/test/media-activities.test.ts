import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobHTTPHeaders, ContainerClient } from '@azure/storage-blob';
import type { Sidecar } from '@parley/service-kit';
import { ApplicationFailure } from '@temporalio/activity';
import sharp from 'sharp';
import t from 'tap';
import { LIVENESS_MS } from '../src/activities/liveness';
import { createMediaActivities } from '../src/activities/media';
import { detectType } from '../src/activities/media-type';
import { asAttempts, runAttempt } from './activity-attempt';
import {
  CAMERA_MAKE,
  HTML_PAGE,
  SVG_WITH_SCRIPT,
  hasGpsDirectory,
  jpegWithGps,
  mp4Clip,
  pngDeclaring,
} from '../../test/support/media';

/** Blob storage held in memory: the outside world of these activities, and nothing else. */
function memoryContainer() {
  const blobs = new Map<string, { data: Buffer; headers: BlobHTTPHeaders }>();
  const client = (name: string) => ({
    exists: async () => blobs.has(name),
    getProperties: async () => ({ contentLength: blobs.get(name)?.data.length }),
    downloadToBuffer: async (offset = 0, count?: number) => {
      const blob = blobs.get(name);
      if (!blob) throw new Error(`no blob ${name}`);
      return blob.data.subarray(offset, count === undefined ? undefined : offset + count);
    },
    downloadToFile: async (path: string) => writeFile(path, blobs.get(name)!.data),
    uploadData: async (data: Buffer, options: { blobHTTPHeaders: BlobHTTPHeaders }) => {
      blobs.set(name, { data, headers: options.blobHTTPHeaders });
    },
    setHTTPHeaders: async (headers: BlobHTTPHeaders) => {
      blobs.get(name)!.headers = headers;
    },
    deleteIfExists: async () => blobs.delete(name),
  });
  const container = { getBlockBlobClient: client } as unknown as ContainerClient;
  const put = (name: string, data: Buffer) => blobs.set(name, { data, headers: {} });
  return { container, blobs, put };
}

const setup = () => {
  const storage = memoryContainer();
  const activities = asAttempts(
    createMediaActivities({
      mediaContainer: storage.container,
      sidecar: {} as Sidecar,
      maxImagePixels: 40_000_000,
    }),
  );
  return { ...storage, activities };
};

const input = (fileName: string, declaredType: string) => ({
  mediaId: 'md_0123456789abcdef01234567',
  ownerId: 'u1',
  fileName,
  declaredType,
  sizeBytes: 0,
});

const refusal = async (work: Promise<unknown>) =>
  work.then(
    () => 'accepted',
    (err: unknown) =>
      err instanceof ApplicationFailure && err.nonRetryable ? err.type : `retryable: ${err}`,
  );

t.test('a photo is re-encoded without EXIF or GPS, with a thumbnail and a preview', async (t) => {
  const { activities, blobs, put } = setup();
  const photo = await jpegWithGps(2000, 1000);
  put('md_0123456789abcdef01234567/original', photo);
  const claim = input('IMG_1.jpg', 'image/jpeg');
  const detected = await activities.inspectMedia(claim);
  const facts = await activities.processImage(claim, detected);
  t.match(facts, { kind: 'image', contentType: 'image/jpeg', width: 2000, height: 1000 });

  const cleaned = blobs.get(facts.blobs.file)!;
  const meta = await sharp(cleaned.data).metadata();
  t.equal(meta.exif, undefined, 'no EXIF');
  t.notOk(hasGpsDirectory(meta.exif));
  t.notOk(cleaned.data.includes(Buffer.from(CAMERA_MAKE)), 'no trace of the camera');
  t.equal(cleaned.headers.blobContentType, 'image/jpeg');
  t.match(cleaned.headers.blobContentDisposition, /^inline; filename="IMG_1.jpg"/);

  const thumb = await sharp(blobs.get(facts.blobs.thumbnail!)!.data).metadata();
  t.same([thumb.format, thumb.width, thumb.height], ['webp', 320, 160]);
  const preview = await sharp(blobs.get(facts.blobs.preview!)!.data).metadata();
  t.same([preview.width, preview.height], [1280, 640]);
});

t.test('bad input fails without retry; each with its own code', async (t) => {
  const { activities, put } = setup();
  const name = 'md_0123456789abcdef01234567/original';

  put(name, HTML_PAGE);
  t.equal(await refusal(activities.inspectMedia(input('cat.png', 'image/png'))), 'MEDIA_TYPE_MISMATCH');

  put(name, Buffer.alloc(0));
  t.equal(await refusal(activities.inspectMedia(input('x.txt', 'text/plain'))), 'MEDIA_EMPTY');

  const bomb = pngDeclaring(100_000);
  put(name, bomb);
  const started = Date.now();
  t.equal(
    await refusal(activities.processImage(input('bomb.png', 'image/png'), detectType(bomb))),
    'MEDIA_TOO_MANY_PIXELS',
  );
  t.ok(Date.now() - started < 5_000, 'refused from the header, before decoding');

  put(name, Buffer.concat([pngDeclaring(64).subarray(0, 33), Buffer.from('broken')]));
  t.equal(
    await refusal(activities.processImage(input('broken.png', 'image/png'), detectType(pngDeclaring(64)))),
    'MEDIA_IMAGE_UNREADABLE',
  );
});

t.test('an SVG is stored as an opaque attachment', async (t) => {
  const { activities, blobs, put } = setup();
  put('md_0123456789abcdef01234567/original', SVG_WITH_SCRIPT);
  const claim = input('logo.svg', 'image/svg+xml');
  const detected = await activities.inspectMedia(claim);
  t.match(detected, { mime: 'image/svg+xml', active: true, kind: 'file' });
  const facts = await activities.describeFile(claim, detected);
  t.match(facts, { contentType: 'application/octet-stream', downloadOnly: true, blobs: { thumbnail: null } });
  const stored = blobs.get('md_0123456789abcdef01234567/original')!;
  t.equal(stored.headers.blobContentType, 'application/octet-stream');
  t.match(stored.headers.blobContentDisposition, /^attachment; filename="logo.svg"/);
});

t.test('a video is described from its header', async (t) => {
  const { activities, put } = setup();
  put('md_0123456789abcdef01234567/original', mp4Clip(61_000, 1280, 720, true));
  const claim = input('talk.mp4', 'video/mp4');
  const facts = await activities.describeFile(claim, await activities.inspectMedia(claim));
  t.match(facts, { kind: 'video', durationMs: 61_000, width: 1280, height: 720, downloadOnly: false });
});

t.test('processing again after the original was removed works from the cleaned copy', async (t) => {
  const { activities, put } = setup();
  put('md_0123456789abcdef01234567/original', await jpegWithGps(100, 100));
  const claim = input('a.jpg', 'image/jpeg');
  await activities.processImage(claim, await activities.inspectMedia(claim));
  await activities.discardOriginal(claim.mediaId);
  const again = await activities.processImage(claim, await activities.inspectMedia(claim));
  t.match(again, { width: 100, height: 100 });
});

t.test('a slow step heartbeats all along, so it is not taken for a dead worker', async (t) => {
  const { container, put } = memoryContainer();
  // Storage that takes longer than a heartbeat interval to hand over the upload.
  const slowStorage = {
    getBlockBlobClient: (name: string) => {
      const blob = container.getBlockBlobClient(name);
      const download = blob.downloadToFile.bind(blob);
      return Object.assign(blob, {
        downloadToFile: async (path: string) => {
          await sleep(LIVENESS_MS * 1.5);
          return download(path);
        },
      });
    },
  } as unknown as ContainerClient;
  const activities = createMediaActivities({
    mediaContainer: slowStorage,
    sidecar: {} as Sidecar,
    maxImagePixels: 40_000_000,
  });
  put('md_0123456789abcdef01234567/original', await jpegWithGps(100, 100));
  const claim = input('a.jpg', 'image/jpeg');
  const detected = await runAttempt({}, () => activities.inspectMedia(claim));
  t.ok(detected.heartbeats.length >= 1, 'a quick step says it is alive from its start');

  const processed = await runAttempt({}, () => activities.processImage(claim, detected.result));
  t.match(processed.result, { width: 100, height: 100 });
  t.ok(processed.heartbeats.length >= 2, 'at its start and again while the download ran');
});

t.test('a retry after a run that died part-way leaves what one clean run leaves', async (t) => {
  const clean = setup();
  const photo = await jpegWithGps(300, 200);
  clean.put('md_0123456789abcdef01234567/original', photo);
  const claim = input('a.jpg', 'image/jpeg');
  const cleanFacts = await clean.activities.processImage(claim, await clean.activities.inspectMedia(claim));

  const retried = setup();
  retried.put('md_0123456789abcdef01234567/original', photo);
  const detected = await retried.activities.inspectMedia(claim);
  // The first attempt's worker dies right after it stored the cleaned file.
  const { container } = retried;
  const getBlob = container.getBlockBlobClient.bind(container);
  let uploads = 0;
  container.getBlockBlobClient = (name: string) => {
    const blob = getBlob(name);
    const upload = blob.uploadData.bind(blob);
    return Object.assign(blob, {
      uploadData: async (...args: Parameters<typeof upload>) => {
        uploads += 1;
        if (uploads === 2) throw new Error('worker gone');
        return upload(...args);
      },
    });
  };
  t.equal(await refusal(retried.activities.processImage(claim, detected)), 'retryable: Error: worker gone');
  const facts = await retried.activities.processImage(claim, await retried.activities.inspectMedia(claim));

  t.same(facts, cleanFacts, 'the same facts');
  t.same([...retried.blobs.keys()].sort(), [...clean.blobs.keys()].sort(), 'the same blobs, none twice');
});
