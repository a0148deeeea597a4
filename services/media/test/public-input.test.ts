import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import type { RequestHandler } from 'express';
import t, { type Test } from 'tap';
import { MediaNotFoundError } from '../src/errors';
import type { Library } from '../src/media/library';
import { mediaRoutes } from '../src/media/routes';
import { uploadRoutes } from '../src/uploads/routes';
import type { Uploads } from '../src/uploads/uploads';
import { rawCaller } from '../../../test/support/raw-request';

// Reading media and the steps of a direct upload take only what they read: an unknown query
// option, or a body on a route that reads none, is refused before the media is looked up.

const APP_TOKEN = 'app-token-of-the-test';
const MEDIA = `md_${'a'.repeat(24)}`;

async function mediaApp(t: Test) {
  const asked: string[] = [];
  // Every lookup is recorded and finds nothing, which is enough to see a call got through.
  const nothing = new Proxy(
    {},
    {
      get: (_target, name: string) => async () => {
        asked.push(name);
        throw new MediaNotFoundError(MEDIA);
      },
    },
  );
  const signedIn: RequestHandler = (req, _res, next) => {
    req.principal = { userId: 'u_ada', sessionId: 's_1', roles: [] };
    next();
  };
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.use('/v1', uploadRoutes(nothing as Uploads, signedIn), mediaRoutes(nothing as Library, signedIn));
  finishHttpApp(app);
  // node:http rather than fetch, which will not send a body with a GET.
  const call = await rawCaller(t, app, { 'dapr-api-token': APP_TOKEN });
  return { call, asked };
}

const refused = { status: 400, code: 'VALIDATION_FAILED' };
const notFound = { status: 404, code: 'MEDIA_NOT_FOUND' };

const noInput: [method: string, path: string][] = [
  ['GET', `/v1/media/${MEDIA}`],
  ['GET', `/v1/media/${MEDIA}/download`],
  ['GET', `/v1/media/${MEDIA}/thumbnail`],
  ['GET', `/v1/media/${MEDIA}/preview`],
  ['GET', `/v1/media/${MEDIA}/content`],
  ['GET', `/v1/media/${MEDIA}/blocks`],
  ['POST', `/v1/media/${MEDIA}/upload-link`],
];

for (const [method, path] of noInput) {
  t.test(`${method} ${path} takes no query and no body`, async (t) => {
    const { call, asked } = await mediaApp(t);
    t.same(await call(method, `${path}?x=1`), refused, 'a stray query is refused');
    t.same(await call(method, path, { x: 1 }), refused, 'a stray body is refused');
    t.same(await call(method, path, []), refused, 'a body that is not an object is refused');
    t.same(asked, [], 'the media was not looked up');
    t.same(await call(method, path), notFound, 'the plain call reaches the media');
    t.same(await call(method, path, {}), notFound, 'an empty JSON object is still accepted');
  });
}

const bodyOnly: [path: string, body: unknown][] = [
  ['/v1/media/uploads', { fileName: 'a.png', contentType: 'image/png', sizeBytes: 10 }],
  [`/v1/media/${MEDIA}/complete`, { blockIds: ['AAAA'] }],
];

for (const [path, body] of bodyOnly) {
  t.test(`POST ${path} takes no query`, async (t) => {
    const { call, asked } = await mediaApp(t);
    t.same(await call('POST', `${path}?x=1`, body), refused, 'a stray query is refused');
    t.same(asked, [], 'nothing was looked up or stored');
    t.same(await call('POST', path, body), notFound, 'the plain call gets through');
  });
}
