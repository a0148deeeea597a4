import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finishHttpApp } from '@parley/service-kit';
import express from 'express';
import t, { type Test } from 'tap';
import { blobOrigin } from '../src/web/blob-origin';
import { webRoutes } from '../src/web/routes';
import { onLoopback } from './loopback';

/** A gateway-like app serving a built client from a temporary folder, on a free port. */
async function serve(t: Test, webDir: string | undefined, mediaOrigin: string | null = null) {
  const app = express();
  app.get('/api/v1/ping', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(webRoutes({ webDir, mediaOrigin }));
  finishHttpApp(app);
  return `http://127.0.0.1:${await onLoopback(t, app)}`;
}

function builtClient(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><title>app</title><script type="module" src="/assets/index-abc123.js"></script>',
  );
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'sw.js'), 'self.addEventListener("push", () => {})');
  writeFileSync(join(dir, 'manifest.webmanifest'), '{"name":"Parley"}');
  return dir;
}

const html = { headers: { accept: 'text/html,application/xhtml+xml' } };

t.test(
  'hashed assets are cached for good; the page, the worker and the manifest are revalidated',
  async (t) => {
    const base = await serve(t, builtClient(t));
    const asset = await fetch(`${base}/assets/index-abc123.js`);
    t.equal(asset.status, 200);
    t.match(asset.headers.get('cache-control'), /max-age=31536000/);
    t.match(asset.headers.get('cache-control'), /immutable/);
    t.match(asset.headers.get('content-type'), /javascript/);
    for (const path of ['/', '/sw.js', '/manifest.webmanifest']) {
      const res = await fetch(`${base}${path}`, html);
      t.equal(res.status, 200, path);
      t.equal(res.headers.get('cache-control'), 'no-cache', `${path} is revalidated`);
    }
  },
);

t.test('client routes get the page; API, socket and asset misses do not', async (t) => {
  const base = await serve(t, builtClient(t));
  for (const path of ['/c/c_000000000000000000000001', '/settings/profile', '/verify-email', '/search?q=x']) {
    const res = await fetch(`${base}${path}`, html);
    t.equal(res.status, 200, path);
    t.match(await res.text(), '<title>app</title>', `${path} is the app`);
  }
  for (const path of [
    '/api/v1/nothing',
    '/assets/missing-123.js',
    '/socket.io/x',
    '/icons/none.png',
    '/metrics',
    '/readyz',
  ]) {
    const res = await fetch(`${base}${path}`, html);
    t.equal(res.status, 404, `${path} is a 404`);
    t.match(res.headers.get('content-type'), /problem\+json/);
  }
  const api = await fetch(`${base}/api/v1/ping`);
  t.same(await api.json(), { ok: true }, 'API routes before the client still answer');
  const json = await fetch(`${base}/some/route`, { headers: { accept: 'application/json' } });
  t.equal(json.status, 404, 'a client route asked for as JSON is not the page');
});

t.test(
  'a strict Content-Security-Policy: own scripts only, the socket, blob storage for media',
  async (t) => {
    const base = await serve(t, builtClient(t), 'http://127.0.0.1:10000');
    const res = await fetch(`${base}/`, html);
    const csp = res.headers.get('content-security-policy') ?? '';
    const directive = (name: string) =>
      csp
        .split(';')
        .map((d) => d.trim())
        .find((d) => d.startsWith(`${name} `));
    t.equal(directive('script-src'), "script-src 'self'", 'no inline script, no eval');
    t.equal(directive('object-src'), "object-src 'none'");
    t.equal(directive('frame-ancestors'), "frame-ancestors 'none'");
    t.equal(directive('base-uri'), "base-uri 'none'");
    const host = new URL(base).host;
    t.equal(directive('connect-src'), `connect-src 'self' ws://${host} wss://${host} http://127.0.0.1:10000`);
    t.equal(directive('img-src'), "img-src 'self' blob: data: http://127.0.0.1:10000");
    t.notMatch(csp, /unsafe-inline|unsafe-eval/);
    t.equal(res.headers.get('x-content-type-options'), 'nosniff');
    t.equal(res.headers.get('x-frame-options'), 'DENY');
  },
);

t.test('without a build, the placeholder page points at the API', async (t) => {
  const base = await serve(t, join(tmpdir(), 'parley-web-missing'));
  const res = await fetch(`${base}/`);
  t.equal(res.status, 200);
  t.match(await res.text(), '/api/reference');
});

t.test('the blob origin comes from the storage connection string', async (t) => {
  t.equal(
    blobOrigin(
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:4604/devstoreaccount1;',
    ),
    'http://127.0.0.1:4604',
  );
  t.equal(
    blobOrigin(
      'DefaultEndpointsProtocol=https;AccountName=parley;AccountKey=a2V5;EndpointSuffix=core.windows.net',
    ),
    'https://parley.blob.core.windows.net',
  );
  t.equal(blobOrigin('UseDevelopmentStorage=true'), 'http://127.0.0.1:10000');
  t.equal(blobOrigin(undefined), null);
  t.equal(blobOrigin('AccountKey=only'), null);
  t.equal(blobOrigin('BlobEndpoint=not a url'), null);
});
