import t from 'tap';
import { routesOver, subscription } from './push-fixtures';

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
