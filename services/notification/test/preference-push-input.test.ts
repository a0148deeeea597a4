import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import type { RequestHandler } from 'express';
import t, { type Test } from 'tap';
import type { Directory } from '../src/delivery/directory';
import type { LevelCache } from '../src/delivery/level-cache';
import type { DeliveryStore } from '../src/delivery/store';
import { preferenceRoutes } from '../src/preferences/preference-routes';
import { pushSubscriptionRoutes } from '../src/push/subscription-routes';
import { subscription } from './push-fixtures';
import { rawCaller } from '../../../test/support/raw-request';

// Notification preferences and push subscriptions take only what they read: an unknown query
// option, or a body on a route that reads none (a removal, a read), is refused before the store
// is touched.

const APP_TOKEN = 'app-token-of-the-test';
const GROUP = `c_${'a'.repeat(24)}`;
const PREFERENCES = '/v1/notifications/preferences';
const SUBSCRIPTIONS = '/v1/notifications/push-subscriptions';

async function notificationApp(t: Test) {
  const touched: string[] = [];
  // Any collection, cache or directory method records its name and fails: a call that reaches
  // one got through its validation, which is all these tests look at.
  const unreachable = (): unknown =>
    new Proxy(
      {},
      {
        get: (_target, name: string) => () => {
          touched.push(name);
          throw new Error(`the test store has no ${name}`);
        },
      },
    );
  const store = new Proxy({}, { get: () => unreachable() }) as DeliveryStore;
  const signedIn: RequestHandler = (req, _res, next) => {
    req.principal = { userId: 'u_ada', sessionId: 's_1', roles: [] };
    next();
  };
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.use(
    preferenceRoutes(
      store,
      unreachable() as Directory,
      unreachable() as LevelCache,
      signedIn,
      async () => {},
    ),
    pushSubscriptionRoutes(store, signedIn, { allowLoopbackHttp: false, vapidPublicKey: 'key' }),
  );
  finishHttpApp(app);
  // node:http rather than fetch, which will not send a body with a GET.
  const call = await rawCaller(t, app, { 'dapr-api-token': APP_TOKEN });
  return { call, touched };
}

const refused = { status: 400, code: 'VALIDATION_FAILED' };

const noInput: [method: string, path: string][] = [
  ['GET', PREFERENCES],
  ['DELETE', `${PREFERENCES}/conversations/${GROUP}`],
  ['GET', '/v1/notifications/push-key'],
  ['GET', SUBSCRIPTIONS],
  ['DELETE', `${SUBSCRIPTIONS}/ps_1`],
];

for (const [method, path] of noInput) {
  t.test(`${method} ${path} takes no query and no body`, async (t) => {
    const { call, touched } = await notificationApp(t);
    t.same(await call(method, `${path}?x=1`), refused, 'a stray query is refused');
    t.same(await call(method, path, { x: 1 }), refused, 'a stray body is refused');
    t.same(await call(method, path, []), refused, 'a body that is not an object is refused');
    t.same(touched, [], 'the store was not touched');
    t.not((await call(method, path)).status, 400, 'the plain call gets through');
    t.not((await call(method, path, {})).status, 400, 'an empty JSON object is still accepted');
  });
}

const bodyOnly: [method: string, path: string, body: unknown][] = [
  ['PATCH', PREFERENCES, { channels: { email: false } }],
  ['PUT', `${PREFERENCES}/conversations/${GROUP}`, { level: 'nothing' }],
  ['POST', SUBSCRIPTIONS, subscription('https://push.example.test/x')],
];

for (const [method, path, body] of bodyOnly) {
  t.test(`${method} ${path} takes no query`, async (t) => {
    const { call, touched } = await notificationApp(t);
    t.same(await call(method, `${path}?x=1`, body), refused, 'a stray query is refused');
    t.same(touched, [], 'the store was not touched');
    t.not((await call(method, path, body)).status, 400, 'the plain call gets through');
    t.not(touched, [], 'and reaches the store');
  });
}
