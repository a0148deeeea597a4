import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { DECLARED_LENGTH_HEADER } from '@parley/contracts';
import t from 'tap';
import { fetchLink, mediaApi } from '../support/media-api';
import { startTestStack } from '../support/stack';
import { registerAndLogin } from '../support/users';

const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;
// Enough for the burst of 60 small and empty uploads below; the hourly tests scale with it.
const UPLOADS_PER_HOUR = 64;
const QUOTA_BYTES = 10 * 1024 * 1024;

/**
 * Declares `declared` bytes, sends `sent` of them and stops, the request still open: any answer
 * comes before the body. Without one in `patienceMs` the test fails rather than wait on.
 */
function stalledUpload(
  url: string,
  headers: Record<string, string>,
  sizes: { declared: number; sent: number },
  patienceMs: number,
) {
  return new Promise<{ status: number; body: Record<string, unknown>; elapsedMs: number }>(
    (resolve, reject) => {
      const started = Date.now();
      const req = request(url, {
        method: 'POST',
        headers: { 'content-length': String(sizes.declared), ...headers },
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`no answer within ${patienceMs} ms`));
      }, patienceMs);
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => {
          clearTimeout(timer);
          const body = JSON.parse(Buffer.concat(parts).toString()) as Record<string, unknown>;
          resolve({ status: res.statusCode ?? 0, body, elapsedMs: Date.now() - started });
          req.destroy();
        });
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.flushHeaders();
      if (sizes.sent > 0) req.write(Buffer.alloc(sizes.sent, 0x61));
    },
  );
}

/**
 * Declares a body far over the limit, sends a few bytes of it and waits: the answer must come
 * without the rest of the body, or the patience runs out and the test fails.
 */
function declaredOversize(url: string, token: string, patienceMs: number) {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' };
  return stalledUpload(url, headers, { declared: 50 * MAX_UPLOAD_BYTES, sent: 3 }, patienceMs);
}

t.test('media upload limits through a real stack', async (t) => {
  const { stack } = await startTestStack(t, {
    env: {
      MEDIA_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      MEDIA_UPLOADS_PER_HOUR: String(UPLOADS_PER_HOUR),
      MEDIA_QUOTA_BYTES: String(QUOTA_BYTES),
      MEDIA_SWEEP_SECONDS: '1',
    },
  });
  const gateway = new URL(stack.urls().web).origin;

  t.test('writing through a direct upload link after completion changes nothing served', async (t) => {
    const ada = await registerAndLogin(gateway);
    const media = mediaApi(gateway, ada.accessToken);
    const data = randomBytes(64 * 1024);
    const created = await media.call<{ media: { id: string }; upload: { url: string } }>('/media/uploads', {
      body: { fileName: 'data.bin', contentType: 'application/octet-stream', sizeBytes: data.length },
    });
    t.equal(created.status, 201);
    const { url } = created.body.upload;
    const id = created.body.media.id;
    const blockId = Buffer.from('block-0000').toString('base64');
    const staged = await fetch(`${url}&comp=block&blockid=${encodeURIComponent(blockId)}`, {
      method: 'PUT',
      body: data,
    });
    t.equal(staged.status, 201);
    t.equal((await media.call(`/media/${id}/complete`, { body: { blockIds: [blockId] } })).status, 202);
    t.match(await media.settled(id), { status: 'ready', sizeBytes: data.length });

    const html = Buffer.from('<html><script>alert(document.cookie)</script></html>');
    await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: html });
    const oversize = Buffer.alloc(2 * MAX_UPLOAD_BYTES, 0x61);
    await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: oversize });
    const lateBlock = Buffer.from('block-0001').toString('base64');
    await fetch(`${url}&comp=block&blockid=${encodeURIComponent(lateBlock)}`, { method: 'PUT', body: html });
    await fetch(`${url}&comp=blocklist`, {
      method: 'PUT',
      body: `<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>${lateBlock}</Latest></BlockList>`,
    });

    const download = await fetchLink((await media.link(id, 'download')).body.url);
    t.equal(download.status, 200);
    t.ok(download.bytes.equals(data), 'the download link still serves the bytes completed');
    const content = await fetch(`${gateway}/api/v1/media/${id}/content`, {
      headers: { authorization: `Bearer ${ada.accessToken}` },
    });
    t.equal(content.status, 200);
    t.ok(Buffer.from(await content.arrayBuffer()).equals(data), 'and so does /content');
    const after = await media.get(id);
    t.match(after.body, { status: 'ready', sizeBytes: data.length }, 'the stored size is unchanged');
    const again = await media.call(`/media/${id}/complete`, { body: { blockIds: [lateBlock] } });
    t.equal(again.status, 202, 'completing again answers as the first time');
    t.equal((again.body as { sizeBytes?: number }).sizeBytes, data.length);
  });

  t.test('concurrent completions of one direct upload all succeed', async (t) => {
    const gil = await registerAndLogin(gateway);
    const media = mediaApi(gateway, gil.accessToken);
    // Each round an upload completed by several calls at once: each commit of the blocks changes
    // the blob's version, so all but one copy fail, and those calls answer the winner's outcome.
    for (const calls of [2, 2, 2, 5]) {
      const data = randomBytes(32 * 1024);
      const created = await media.call<{ media: { id: string }; upload: { url: string } }>('/media/uploads', {
        body: { fileName: 'twice.bin', contentType: 'application/octet-stream', sizeBytes: data.length },
      });
      const blockId = Buffer.from('block-0000').toString('base64');
      await fetch(`${created.body.upload.url}&comp=block&blockid=${encodeURIComponent(blockId)}`, {
        method: 'PUT',
        body: data,
      });
      const id = created.body.media.id;
      const answers = await Promise.all(
        Array.from({ length: calls }, () =>
          media.call(`/media/${id}/complete`, { body: { blockIds: [blockId] } }),
        ),
      );
      t.same(
        answers.map((r) => r.status),
        Array.from({ length: calls }, () => 202),
        `${calls} at once`,
      );
      const file = await fetchLink((await media.link((await media.settled(id)).id, 'download')).body.url);
      t.ok(file.bytes.equals(data), 'the file is the bytes sent');
    }
  });

  t.test('concurrent uploads past the hourly limit let exactly the limit through', async (t) => {
    const bea = await registerAndLogin(gateway);
    const media = mediaApi(gateway, bea.accessToken);
    const attempts = Array.from({ length: 3 * UPLOADS_PER_HOUR }, (_, i) =>
      i % 2 === 0
        ? media.upload(`s${i}.txt`, 'text/plain', Buffer.from(`file ${i}\n`))
        : media.call('/media/uploads', {
            body: { fileName: `d${i}.bin`, contentType: 'application/octet-stream', sizeBytes: 10 },
          }),
    );
    const statuses = (await Promise.all(attempts)).map((r) => r.status);
    t.equal(statuses.filter((s) => s === 201).length, UPLOADS_PER_HOUR, 'exactly the limit got through');
    t.equal(statuses.filter((s) => s === 429).length, 2 * UPLOADS_PER_HOUR, 'the rest were rate limited');

    const later = await media.call('/media/uploads', {
      body: { fileName: 'late.bin', contentType: 'application/octet-stream', sizeBytes: 10 },
    });
    t.equal(later.status, 429);
    t.equal(later.body.code, 'RATE_LIMITED');
    t.ok(Number(later.body.retryAfter) > 0 && Number(later.body.retryAfter) <= 3600, 'with how long to wait');
  });

  t.test('concurrent uploads cannot pass the storage quota together', async (t) => {
    const eda = await registerAndLogin(gateway);
    const media = mediaApi(gateway, eda.accessToken);
    const direct = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        media.call('/media/uploads', {
          body: {
            fileName: `d${i}.bin`,
            contentType: 'application/octet-stream',
            sizeBytes: MAX_UPLOAD_BYTES,
          },
        }),
      ),
    );
    const opened = direct.filter((r) => r.status === 201).length;
    t.ok(opened >= 1 && opened <= 2, `${opened} of 5 declaring 4 MiB each opened against 10 MiB`);
    t.ok(
      direct.every((r) => r.status === 201 || r.body.code === 'MEDIA_QUOTA_EXCEEDED'),
      'the others were refused for the quota',
    );

    const fay = await registerAndLogin(gateway);
    const fayMedia = mediaApi(gateway, fay.accessToken);
    const size = 3 * 1024 * 1024;
    const streamed = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        fayMedia.upload(`s${i}.bin`, 'application/octet-stream', randomBytes(size)),
      ),
    );
    const stored = streamed.filter((r) => r.status === 201).length;
    t.ok(stored >= 1 && stored * size <= QUOTA_BYTES, `${stored} of 5 streamed 3 MiB uploads stored`);
  });

  t.test('many small streamed uploads of one user at once are all taken, empty ones refused', async (t) => {
    const gus = await registerAndLogin(gateway);
    const media = mediaApi(gateway, gus.accessToken);
    // Each holds what it declared against the quota, not the size limit. An empty body reaches
    // the service chunked, without its length: holding the limit for each, 30 of them would pass
    // the 10 MiB quota many times over, and crowd out the small uploads beside them.
    const [small, empty] = await Promise.all([
      Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          media.upload(`tiny${i}.txt`, 'text/plain', Buffer.from(`${i}\n`)),
        ),
      ),
      Promise.all(
        Array.from({ length: 30 }, (_, i) => media.upload(`empty${i}.txt`, 'text/plain', Buffer.alloc(0))),
      ),
    ]);
    t.same(
      small.map((r) => r.status),
      small.map(() => 201),
      'all 30 small ones stored',
    );
    t.same(
      empty.map((r) => (r.body as unknown as { code: string }).code),
      empty.map(() => 'MEDIA_EMPTY'),
      'each empty one refused for what it is',
    );
  });

  t.test('a body longer than its declared length is refused and leaves nothing', async (t) => {
    const hal = await registerAndLogin(gateway);
    // Through the sidecars as the gateway sends it: chunked, the length in a header. The gateway
    // itself cannot be made to forward more than its client declared; this is the check behind it.
    const sidecar = `http://127.0.0.1:${stack.ports.apps.gateway.daprHttp}/v1.0/invoke/media/method`;
    const chunks = [Buffer.alloc(64 * 1024, 0x61), Buffer.alloc(64 * 1024, 0x62)];
    const refused = await fetch(`${sidecar}/v1/media?fileName=liar.txt`, {
      method: 'POST',
      headers: {
        'dapr-api-token': stack.secrets.apps.gateway.daprApiToken,
        authorization: `Bearer ${hal.accessToken}`,
        'content-type': 'text/plain',
        [DECLARED_LENGTH_HEADER]: '100',
      },
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
      ...({ duplex: 'half' } as object),
    });
    t.equal(refused.status, 400);
    t.match(refused.headers.get('content-type'), /^application\/problem\+json/);
    t.match(await refused.json(), { code: 'MEDIA_LONGER_THAN_DECLARED', declaredBytes: 100 });

    // Nothing stored and nothing held: the whole quota is still there, in uploads of the limit.
    const media = mediaApi(gateway, hal.accessToken);
    const sizes = [MAX_UPLOAD_BYTES, MAX_UPLOAD_BYTES, QUOTA_BYTES - 2 * MAX_UPLOAD_BYTES];
    for (const [i, sizeBytes] of sizes.entries()) {
      const opened = await media.call('/media/uploads', {
        body: { fileName: `d${i}.bin`, contentType: 'application/octet-stream', sizeBytes },
      });
      t.equal(opened.status, 201, `${sizeBytes} bytes still fit`);
    }
  });

  t.test('an upload refused for its size does not use up the hourly limit', async (t) => {
    const cid = await registerAndLogin(gateway);
    const media = mediaApi(gateway, cid.accessToken);
    for (let i = 0; i < UPLOADS_PER_HOUR; i++) {
      const tooBig = await media.call('/media/uploads', {
        body: {
          fileName: 'big.bin',
          contentType: 'application/octet-stream',
          sizeBytes: MAX_UPLOAD_BYTES + 1,
        },
      });
      t.equal(tooBig.status, 413);
    }
    const fits = await media.upload('small.txt', 'text/plain', Buffer.from('small\n'));
    t.equal(fits.status, 201);
  });

  t.test('a declared length over the limit is refused before the body is read', async (t) => {
    const dot = await registerAndLogin(gateway);
    const answer = await declaredOversize(
      `${gateway}/api/v1/media?fileName=big.bin`,
      dot.accessToken,
      15_000,
    );
    t.equal(answer.status, 413);
    t.equal(answer.body.code, 'MEDIA_TOO_LARGE');
    t.ok(answer.elapsedMs < 10_000, `answered in ${answer.elapsedMs} ms`);
    const health = await fetch(`http://127.0.0.1:${stack.ports.apps.media.app}/readyz`);
    t.equal(health.status, 200, 'the media service is still ready');
  });

  t.test('an upload the gateway would refuse is answered before its body', async (t) => {
    const eve = await registerAndLogin(gateway);
    const bearer = { authorization: `Bearer ${eve.accessToken}` };
    const cases: [string, string, Record<string, string>, number, number, string][] = [
      ['no token', 'a.bin', {}, 1_000, 401, 'AUTH_TOKEN_MISSING'],
      ['a forged token', 'a.bin', { authorization: 'Bearer abc.def.ghi' }, 1_000, 401, 'AUTH_TOKEN_INVALID'],
      ['a path for a name', '..', bearer, 0, 400, 'VALIDATION_FAILED'],
      ['no media type', 'a.bin', { ...bearer, 'content-type': 'nonsense' }, 0, 400, 'VALIDATION_FAILED'],
    ];
    for (const [what, name, headers, sent, status, code] of cases) {
      const answer = await stalledUpload(
        `${gateway}/api/v1/media?fileName=${encodeURIComponent(name)}`,
        headers,
        { declared: MAX_UPLOAD_BYTES / 4, sent },
        8_000,
      );
      t.equal(answer.status, status, what);
      t.equal(answer.body.code, code, what);
    }
  });
});
