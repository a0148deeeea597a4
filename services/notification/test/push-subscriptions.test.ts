import type { AddressInfo } from 'node:net';
import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import type { RequestHandler } from 'express';
import t, { type Test } from 'tap';
import { openDeliveryStore } from '../src/delivery/store';
import { pushSubscriptionRoutes } from '../src/push/subscription-routes';
import { privateClient } from './ferretdb';

const APP_TOKEN = 'a'.repeat(32);

/** A browser's subscription: a 65-byte uncompressed P-256 point and a 16-byte secret. */
const subscription = (endpoint: string) => ({
  endpoint,
  expirationTime: null,
  keys: {
    p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url'),
    auth: Buffer.alloc(16, 9).toString('base64url'),
  },
});

/** The subscription routes over a private store, the caller named by an `x-user` header. */
async function routesOver(t: Test) {
  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db('parley_push_subscriptions_test'));
  const auth: RequestHandler = (req, _res, next) => {
    req.principal = { userId: String(req.headers['x-user']), sessionId: 's_1', roles: [] };
    next();
  };
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.use(pushSubscriptionRoutes(store, auth, { allowLoopbackHttp: false, vapidPublicKey: undefined }));
  finishHttpApp(app);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/notifications/push-subscriptions`;
  const subscribe = async (user: string, requestId: string, endpoint: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'dapr-api-token': APP_TOKEN,
        'x-request-id': requestId,
        'x-user': user,
      },
      body: JSON.stringify(subscription(endpoint)),
    });
    return { status: res.status, body: (await res.json()) as { id: string; code?: string } };
  };
  return { store, subscribe };
}

t.test('a repeated subscription leaves one subscription, however the repeats meet', async (t) => {
  const { store, subscribe } = await routesOver(t);
  const endpoint = 'https://push.example.test/send/abc';

  const first = await subscribe('u_ada', 'req-1', endpoint);
  const again = await subscribe('u_ada', 'req-1', endpoint);
  t.equal(first.status, 201);
  t.equal(again.status, 200, 'the repeat finds the subscription it made');
  t.equal(again.body.id, first.body.id);

  const racing = await Promise.all(
    Array.from({ length: 8 }, () => subscribe('u_ada', 'req-2', 'https://push.example.test/send/def')),
  );
  t.same(
    racing.map((r) => r.status).sort(),
    [200, 200, 200, 200, 200, 200, 200, 201],
    'repeats racing each other: one made it, the rest found it, none failed',
  );
  t.equal(new Set(racing.map((r) => r.body.id)).size, 1, 'all name the same subscription');

  t.equal(await store.pushSubscriptions.countDocuments({ userId: 'u_ada' }), 2, 'one per endpoint');
});

t.test('another user with the same request id and endpoint gets a subscription of their own', async (t) => {
  const { store, subscribe } = await routesOver(t);
  const endpoint = 'https://push.example.test/send/shared';

  const ada = await subscribe('u_ada', 'req-1', endpoint);
  const bea = await subscribe('u_bea', 'req-1', endpoint);
  t.equal(bea.status, 201, 'not taken for a repeat of the first user request');
  t.not(bea.body.id, ada.body.id);
  t.equal(await store.pushSubscriptions.countDocuments({ userId: 'u_bea' }), 1);
});

t.test("a browser's endpoint belongs to the account that subscribed it last", async (t) => {
  const { store, subscribe } = await routesOver(t);
  const shared = 'https://push.example.test/send/one-browser';
  const other = 'https://push.example.test/send/adas-phone';

  t.equal((await subscribe('u_ada', 'req-1', shared)).status, 201);
  t.equal((await subscribe('u_ada', 'req-2', other)).status, 201);
  t.equal((await subscribe('u_bea', 'req-3', shared)).status, 201, 'bea signs in on the same browser');

  const owners = async (endpoint: string) =>
    (await store.pushSubscriptions.find({ endpoint }).toArray()).map((doc) => doc.userId);
  t.same(await owners(shared), ['u_bea'], "ada's pushes no longer reach the browser bea uses");
  t.same(await owners(other), ['u_ada'], "ada's other browser keeps hers");
});

t.test('the cap of 20 holds under concurrent subscriptions, and frees what is gone', async (t) => {
  const { store, subscribe } = await routesOver(t);
  const endpoint = (n: number) => `https://push.example.test/send/cap-${n}`;

  const burst = await Promise.all(
    Array.from({ length: 50 }, (_, n) => subscribe('u_cy', `req-${n}`, endpoint(n))),
  );
  const statuses = burst.map((r) => r.status);
  t.equal(statuses.filter((s) => s === 201).length, 20, '20 made it');
  t.equal(statuses.filter((s) => s === 409).length, 30, 'the rest were refused');
  t.ok(
    burst
      .filter((r) => r.status === 409)
      .every((r) => r.body.code === 'NOTIFICATION_PUSH_SUBSCRIPTIONS_LIMIT'),
  );
  t.equal(await store.pushSubscriptions.countDocuments({ userId: 'u_cy' }), 20, 'and 20 are stored');

  const kept = burst.findIndex((r) => r.status === 201);
  t.equal((await subscribe('u_cy', 'again', endpoint(kept))).status, 200, 'a kept one registers again');
  t.equal((await subscribe('u_cy', 'one-more', endpoint(99))).status, 409);

  // Another account signs in on one of those browsers: that place is free again.
  t.equal((await subscribe('u_dee', 'req-d', endpoint(kept))).status, 201);
  t.equal(
    (await subscribe('u_cy', 'one-more-2', endpoint(98))).status,
    201,
    'the endpoint taken over frees a place',
  );
  t.equal(await store.pushSubscriptions.countDocuments({ userId: 'u_cy' }), 20);
});

t.test('two accounts racing for one endpoint end with exactly one subscription of it', async (t) => {
  const { store, subscribe } = await routesOver(t);
  for (let round = 0; round < 15; round++) {
    const endpoint = `https://push.example.test/send/contested-${round}`;
    const answers = await Promise.all([
      subscribe('u_eve', `eve-${round}`, endpoint),
      subscribe('u_fay', `fay-${round}`, endpoint),
    ]);
    const left = await store.pushSubscriptions.find({ endpoint }).toArray();
    if (left.length !== 1) {
      t.fail(`round ${round}: ${left.length} subscriptions left (${answers.map((a) => a.status)})`);
      return;
    }
    const keeper = left[0]!.userId === 'u_eve' ? answers[0] : answers[1];
    t.equal(keeper?.status, 201, `round ${round}: the account that keeps it was told so`);
    for (const answer of answers) t.ok([201, 409].includes(answer.status));
  }
});

t.test('places freed by endpoints taken over are found by concurrent requests', async (t) => {
  const { store, subscribe } = await routesOver(t);
  const endpoint = (n: number) => `https://push.example.test/send/ghost-${n}`;
  for (let n = 0; n < 20; n++) t.equal((await subscribe('u_gus', `g-${n}`, endpoint(n))).status, 201);
  for (let n = 0; n < 5; n++) t.equal((await subscribe('u_hal', `h-${n}`, endpoint(n))).status, 201);
  const more = await Promise.all(
    Array.from({ length: 5 }, (_, n) => subscribe('u_gus', `g-more-${n}`, endpoint(100 + n))),
  );
  t.same(
    more.map((r) => r.status),
    [201, 201, 201, 201, 201],
    'five places were freed, five new ones fit',
  );
  t.equal(await store.pushSubscriptions.countDocuments({ userId: 'u_gus' }), 20);
});

t.test('a subscription from before owners were recorded goes when another account registers', async (t) => {
  const { store, subscribe } = await routesOver(t);
  const endpoint = 'https://push.example.test/send/legacy';
  await store.pushSubscriptions.insertOne({
    _id: 'legacy-sub-of-ivy',
    userId: 'u_ivy',
    endpoint,
    keys: subscription(endpoint).keys,
    createdAt: new Date(Date.now() - 86_400_000),
  });
  t.equal((await subscribe('u_jon', 'j-1', endpoint)).status, 201);
  t.same(
    (await store.pushSubscriptions.find({ endpoint }).toArray()).map((doc) => doc.userId),
    ['u_jon'],
  );
});
