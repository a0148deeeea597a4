import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import sharp from 'sharp';
import t from 'tap';
import {
  CAMERA_MAKE,
  HTML_PAGE,
  SVG_WITH_SCRIPT,
  hasGpsDirectory,
  jpegWithGps,
  mp4Clip,
  pngDeclaring,
} from '../support/media';
import { fetchLink, mediaApi } from '../support/media-api';
import { startTestStack } from '../support/stack';
import { registerAndLogin } from '../support/users';

const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

/**
 * Sends an endless body and reports when the answer came: a service that read the whole body
 * first would never answer, and the safety cap would fail the test.
 */
function endlessUpload(url: string, token: string) {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const cap = 40 * MAX_UPLOAD_BYTES;
  return new Promise<{
    status: number;
    body: Record<string, unknown>;
    sentBytes: number;
    stillSending: boolean;
  }>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    });
    let sentBytes = 0;
    let answered = false;
    const pump = () => {
      while (!answered) {
        if (sentBytes > cap) {
          answered = true;
          req.destroy();
          reject(new Error(`no answer after sending ${sentBytes} bytes`));
          return;
        }
        sentBytes += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    req.on('response', (res) => {
      const stillSending = !answered && !req.writableEnded;
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(parts).toString()),
          sentBytes,
          stillSending,
        });
        req.destroy();
      });
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    pump();
  });
}

t.test('media uploads through a real stack', async (t) => {
  const { stack } = await startTestStack(t, {
    env: { MEDIA_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), MEDIA_SWEEP_SECONDS: '1' },
  });
  const gateway = new URL(stack.urls().web).origin;
  const ada = await registerAndLogin(gateway);
  const media = mediaApi(gateway, ada.accessToken);

  t.test(
    'a photo is stored without its EXIF and GPS data, with a small thumbnail and a preview',
    async (t) => {
      const photo = await jpegWithGps(1600, 1200);
      const before = await sharp(photo).metadata();
      t.ok(hasGpsDirectory(before.exif), 'the uploaded photo carries a GPS position');
      t.ok(before.exif?.includes(Buffer.from(CAMERA_MAKE)), 'and the camera make');

      const uploaded = await media.upload('holiday.jpg', 'image/jpeg', photo);
      t.equal(uploaded.status, 201);
      t.match(uploaded.body, { status: 'processing', fileName: 'holiday.jpg', sizeBytes: photo.length });
      const ready = await media.settled(uploaded.body.id);
      t.match(ready, {
        status: 'ready',
        kind: 'image',
        contentType: 'image/jpeg',
        width: 1600,
        height: 1200,
      });
      t.equal(ready.failure, null);

      const download = await media.link(ready.id, 'download');
      t.equal(download.status, 200);
      t.ok(Date.parse(download.body.expiresAt) - Date.now() <= 5 * 60_000 + 5_000, 'the link is short-lived');
      const file = await fetchLink(download.body.url);
      t.equal(file.status, 200);
      t.equal(file.headers.get('content-type'), 'image/jpeg');
      const served = await sharp(file.bytes).metadata();
      t.equal(served.format, 'jpeg');
      t.equal(served.width, 1600);
      t.equal(served.exif, undefined, 'no EXIF at all in the served photo');
      t.notOk(hasGpsDirectory(served.exif), 'so no GPS position');
      t.notOk(file.bytes.includes(Buffer.from(CAMERA_MAKE)), 'the camera make is gone from the bytes');

      const thumbnail = await fetchLink((await media.link(ready.id, 'thumbnail')).body.url);
      const thumb = await sharp(thumbnail.bytes).metadata();
      t.equal(thumb.format, 'webp');
      t.ok(thumb.width! <= 320 && thumb.height! <= 320, `thumbnail is small: ${thumb.width}x${thumb.height}`);
      t.ok(thumbnail.bytes.length < 30_000, `thumbnail is a few KB: ${thumbnail.bytes.length}`);
      t.equal(thumb.exif, undefined);
      const preview = await sharp(
        (await fetchLink((await media.link(ready.id, 'preview')).body.url)).bytes,
      ).metadata();
      t.equal(preview.width, 1280, 'the preview is scaled to 1280 wide');

      const tampered = new URL(download.body.url);
      tampered.pathname = tampered.pathname.replace(/\/file$/, '/original');
      t.equal((await fetchLink(tampered.toString())).status, 403, 'a link opens its one blob only');
      const put = await fetch(download.body.url, {
        method: 'PUT',
        headers: { 'x-ms-blob-type': 'BlockBlob' },
        body: 'x',
      });
      t.equal(put.status, 403, 'a read link cannot write');
    },
  );

  t.test('a video is described from its header: duration and picture size', async (t) => {
    const clip = mp4Clip(2_500, 320, 240);
    const uploaded = await media.upload('clip.mp4', 'video/mp4', clip);
    t.equal(uploaded.status, 201);
    const ready = await media.settled(uploaded.body.id);
    t.match(ready, {
      status: 'ready',
      kind: 'video',
      contentType: 'video/mp4',
      durationMs: 2_500,
      width: 320,
      height: 240,
    });
    const file = await fetchLink((await media.link(ready.id, 'download')).body.url);
    t.same(file.bytes, clip, 'the video is served as uploaded');
    t.equal(file.headers.get('content-type'), 'video/mp4');
    const thumbnail = await media.link(ready.id, 'thumbnail');
    t.equal(thumbnail.status, 409);
    t.equal((thumbnail.body as unknown as { code: string }).code, 'MEDIA_RENDITION_MISSING');
  });

  t.test('other files are downloads: a PDF and text', async (t) => {
    const pdf = Buffer.from(
      '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
    );
    const uploaded = await media.upload('report "final".pdf', 'application/pdf', pdf);
    const ready = await media.settled(uploaded.body.id);
    t.match(ready, { status: 'ready', kind: 'file', contentType: 'application/pdf', downloadOnly: true });
    const file = await fetchLink((await media.link(ready.id, 'download')).body.url);
    t.match(file.headers.get('content-disposition'), /^attachment; filename="report _final_.pdf"/);
    t.same(file.bytes, pdf);

    const notes = await media.upload('notes.txt', 'text/plain', Buffer.from('plain words\n'));
    t.match(await media.settled(notes.body.id), { status: 'ready', kind: 'file', contentType: 'text/plain' });
  });

  t.test('an SVG with a script is only ever a download, never rendered', async (t) => {
    const uploaded = await media.upload('logo.svg', 'image/svg+xml', SVG_WITH_SCRIPT);
    const ready = await media.settled(uploaded.body.id);
    t.match(ready, { status: 'ready', kind: 'file', downloadOnly: true, hasThumbnail: false });
    const link = await fetchLink((await media.link(ready.id, 'download')).body.url);
    t.equal(link.headers.get('content-type'), 'application/octet-stream', 'not labelled as an image');
    t.match(link.headers.get('content-disposition'), /^attachment;/);

    const served = await fetch(`${gateway}/api/v1/media/${ready.id}/content`, {
      headers: { authorization: `Bearer ${ada.accessToken}` },
    });
    t.equal(served.status, 200);
    t.equal(served.headers.get('x-content-type-options'), 'nosniff');
    t.match(served.headers.get('content-disposition'), /^attachment;/);
    t.equal(served.headers.get('content-type'), 'application/octet-stream');
    t.match(served.headers.get('content-security-policy'), /sandbox/);
    t.same(Buffer.from(await served.arrayBuffer()), SVG_WITH_SCRIPT);
  });

  t.test('bytes that contradict the claimed type are refused', async (t) => {
    const html = await media.upload('cat.png', 'image/png', HTML_PAGE);
    t.equal(html.status, 201, 'accepted for processing');
    const failed = await media.settled(html.body.id);
    t.match(failed, { status: 'failed', failure: { code: 'MEDIA_TYPE_MISMATCH' } });
    t.match(failed.failure?.message, /text\/html/);
    const link = await media.link(failed.id, 'download');
    t.equal(link.status, 409, 'a failed upload has no links');

    const renamed = await media.upload('cat.png', 'application/octet-stream', HTML_PAGE);
    t.match(await media.settled(renamed.body.id), {
      status: 'failed',
      failure: { code: 'MEDIA_TYPE_MISMATCH' },
    });

    const jpegAsPng = await media.upload('photo.png', 'image/png', await jpegWithGps(64, 48));
    t.match(await media.settled(jpegAsPng.body.id), {
      status: 'failed',
      failure: { code: 'MEDIA_TYPE_MISMATCH' },
    });
  });

  t.test('an image declaring huge dimensions fails fast and harms nothing', async (t) => {
    const bomb = pngDeclaring(100_000);
    t.ok(bomb.length < 200, 'the file itself is tiny');
    const started = Date.now();
    const uploaded = await media.upload('bomb.png', 'image/png', bomb);
    const failed = await media.settled(uploaded.body.id);
    t.match(failed, { status: 'failed', failure: { code: 'MEDIA_TOO_MANY_PIXELS' } });
    t.match(failed.failure?.message, /100000x100000/);
    t.ok(Date.now() - started < 60_000, 'failed on the first attempt, without retries');
    for (const app of ['media', 'worker'] as const) {
      const ready = await fetch(`http://127.0.0.1:${stack.ports.apps[app].app}/readyz`);
      t.equal(ready.status, 200, `${app} is still ready`);
    }
    const after = await media.upload('after.jpg', 'image/jpeg', await jpegWithGps(200, 100));
    t.match(await media.settled(after.body.id), { status: 'ready' }, 'and the next upload is processed');
  });

  t.test('an oversize upload is refused at the limit, while the client is still sending', async (t) => {
    const declared = await fetch(`${gateway}/api/v1/media?fileName=big.bin`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ada.accessToken}`,
        'content-type': 'application/octet-stream',
      },
      body: Buffer.alloc(MAX_UPLOAD_BYTES + 1),
    });
    t.equal(declared.status, 413, 'a declared length over the limit is refused');
    t.equal(((await declared.json()) as { code: string }).code, 'MEDIA_TOO_LARGE');

    const endless = await endlessUpload(`${gateway}/api/v1/media?fileName=endless.bin`, ada.accessToken);
    t.equal(endless.status, 413);
    t.equal(endless.body.code, 'MEDIA_TOO_LARGE');
    t.equal(endless.body.limitBytes, MAX_UPLOAD_BYTES);
    t.ok(
      endless.stillSending,
      `the answer came while the body was still being sent (${endless.sentBytes} bytes sent)`,
    );
    const health = await fetch(`http://127.0.0.1:${stack.ports.apps.media.app}/readyz`);
    t.equal(health.status, 200, 'the media service is still ready');
  });

  t.test('a direct upload writes blocks to storage and resumes after a broken connection', async (t) => {
    const data = randomBytes(3 * 256 * 1024);
    const created = await media.call<{
      media: { id: string; status: string };
      upload: { url: string; expiresAt: string };
    }>('/media/uploads', {
      body: { fileName: 'data.bin', contentType: 'application/octet-stream', sizeBytes: data.length },
    });
    t.equal(created.status, 201);
    t.equal(created.body.media.status, 'pending');
    const { url } = created.body.upload;
    t.ok(
      Date.parse(created.body.upload.expiresAt) - Date.now() <= 15 * 60_000 + 5_000,
      'the write link is short-lived',
    );
    const id = created.body.media.id;
    const blockIds = [0, 1, 2].map((i) =>
      Buffer.from(`block-${String(i).padStart(4, '0')}`).toString('base64'),
    );
    const part = (i: number) => data.subarray(i * 256 * 1024, (i + 1) * 256 * 1024);
    const putBlock = (i: number) =>
      fetch(`${url}&comp=block&blockid=${encodeURIComponent(blockIds[i]!)}`, {
        method: 'PUT',
        body: part(i),
      });

    t.equal((await putBlock(0)).status, 201);
    t.equal((await putBlock(1)).status, 201);
    // The third block's connection breaks halfway.
    await new Promise<void>((resolve) => {
      const broken = request(`${url}&comp=block&blockid=${encodeURIComponent(blockIds[2]!)}`, {
        method: 'PUT',
        headers: { 'content-length': String(part(2).length) },
      });
      broken.on('error', () => resolve());
      broken.write(part(2).subarray(0, 100_000), () => {
        setTimeout(() => {
          broken.destroy();
          resolve();
        }, 200);
      });
    });

    const staged = await media.call<{ uncommitted: { blockId: string; sizeBytes: number }[] }>(
      `/media/${id}/blocks`,
    );
    t.equal(staged.status, 200);
    t.same(
      staged.body.uncommitted.map((b) => b.blockId).sort(),
      blockIds.slice(0, 2),
      'storage holds the two whole blocks, not the broken one',
    );
    const early = await media.call(`/media/${id}/complete`, { body: { blockIds } });
    t.equal(early.status, 409, 'completing with a block missing is refused');
    t.equal(early.body.code, 'MEDIA_BLOCKS_MISSING');

    t.equal((await putBlock(2)).status, 201, 'the client sends the missing block again');
    const read = await fetch(url);
    t.equal(read.status, 403, 'the write link cannot read');
    const completed = await media.call(`/media/${id}/complete`, { body: { blockIds } });
    t.equal(completed.status, 202);
    const ready = await media.settled(id);
    t.match(ready, { status: 'ready', kind: 'file', sizeBytes: data.length });
    const file = await fetchLink((await media.link(id, 'download')).body.url);
    t.ok(file.bytes.equals(data), 'the file is exactly the bytes sent');
    const again = await media.call(`/media/${id}/complete`, { body: { blockIds } });
    t.equal(again.status, 202, 'completing twice is harmless');
  });

  t.test('a direct upload larger than it declared is refused', async (t) => {
    const created = await media.call<{ media: { id: string }; upload: { url: string } }>('/media/uploads', {
      body: { fileName: 'small.bin', contentType: 'application/octet-stream', sizeBytes: 1000 },
    });
    const blockId = Buffer.from('block-0000').toString('base64');
    await fetch(`${created.body.upload.url}&comp=block&blockid=${encodeURIComponent(blockId)}`, {
      method: 'PUT',
      body: Buffer.alloc(5000),
    });
    const completed = await media.call(`/media/${created.body.media.id}/complete`, {
      body: { blockIds: [blockId] },
    });
    t.equal(completed.status, 413);
    t.equal(completed.body.code, 'MEDIA_TOO_LARGE');
    const tooBig = await media.call('/media/uploads', {
      body: {
        fileName: 'huge.bin',
        contentType: 'application/octet-stream',
        sizeBytes: MAX_UPLOAD_BYTES + 1,
      },
    });
    t.equal(tooBig.status, 413);
  });

  t.test('an upload the client abandons midway leaves nothing behind', async (t) => {
    await new Promise<void>((resolve) => {
      const req = request(`${gateway}/api/v1/media?fileName=half.bin`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ada.accessToken}`, 'content-type': 'application/octet-stream' },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(1024 * 1024), () => {
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 300);
      });
    });
    const health = await fetch(`http://127.0.0.1:${stack.ports.apps.media.app}/readyz`);
    t.equal(health.status, 200, 'the media service is still ready');
    const next = await media.upload('next.txt', 'text/plain', Buffer.from('next\n'));
    t.equal(next.status, 201, 'and takes the next upload');
  });

  t.test('a result reported while the media service is down is recorded when it is back', async (t) => {
    const uploaded = await media.upload('patience.jpg', 'image/jpeg', await jpegWithGps(640, 480));
    t.equal(uploaded.status, 201);
    await stack.kill('media');
    // The worker finishes meanwhile; reporting fails and its activity retries with backoff.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await stack.restart('media');
    t.match(await media.settled(uploaded.body.id), { status: 'ready', kind: 'image', width: 640 });
  });

  t.test('bad input is refused with problem documents', async (t) => {
    const noName = await fetch(`${gateway}/api/v1/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada.accessToken}`, 'content-type': 'image/png' },
      body: 'x',
    });
    t.equal(noName.status, 400);
    t.match(noName.headers.get('content-type'), /application\/problem\+json/);
    const pathName = await media.upload('../../etc/passwd', 'text/plain', Buffer.from('x'));
    t.equal(pathName.status, 400);
    const badId = await media.get('not-a-media-id');
    t.equal(badId.status, 400);
    const extra = await media.call('/media/uploads', {
      body: { fileName: 'a.bin', contentType: 'application/octet-stream', sizeBytes: 10, public: true },
    });
    t.equal(extra.status, 400);
    const anonymous = await fetch(`${gateway}/api/v1/media?fileName=a.txt`, { method: 'POST', body: 'x' });
    t.equal(anonymous.status, 401);
  });
});
