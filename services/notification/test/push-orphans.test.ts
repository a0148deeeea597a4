import type { Document } from 'mongodb';
import t, { type Test } from 'tap';
import { Planner } from '../src/delivery/planner';
import type { DeliveryStore } from '../src/delivery/store';
import { subscriptionId } from '../src/push/endpoint-owners';
import { SubscriptionSlots } from '../src/push/subscription-slots';
import { contact, directory } from './planner-fixtures';
import { routesOver, subscription } from './push-fixtures';

/** The planner's recipient, so its plans read this user's subscriptions. */
const USER = contact.userId;
const endpoint = (name: string) => `https://push.example.test/send/${name}`;
const MINUTE = 60_000;

type Subscribe = Awaited<ReturnType<typeof routesOver>>['subscribe'];

/**
 * What a registration leaves when notification stops between storing a subscription and
 * admitting it; without `storedAt`, what such a crash left before stores were dated.
 */
async function storedOnly(store: DeliveryStore, userId: string, name: string, storedAt?: Date) {
  const _id = subscriptionId(userId, endpoint(name));
  await store.pushSubscriptions.insertOne({
    _id,
    userId,
    endpoint: endpoint(name),
    keys: subscription(endpoint(name)).keys,
    createdAt: storedAt ?? new Date(Date.now() - 2 * 86_400_000),
    ownerRecorded: true,
    ...(storedAt ? { storedAt } : {}),
  });
  return _id;
}

/** Registers the user's 20 browsers, all admitted; gives their ids. */
async function fill(t: Test, subscribe: Subscribe): Promise<string[]> {
  const answers = [];
  for (let n = 0; n < 20; n++) answers.push(await subscribe(USER, `r-${n}`, endpoint(`full-${n}`)));
  t.same(
    answers.map((a) => a.status),
    Array.from({ length: 20 }, () => 201),
    '20 browsers registered',
  );
  return answers.map((a) => a.body.id);
}

/** The endpoints a push step of a new direct message goes to. */
async function pushedTo(store: DeliveryStore, userId: string): Promise<string[]> {
  const planner = new Planner({
    store,
    directory,
    config: {
      PUBLIC_URL: 'http://127.0.0.1:1',
      NOTIFICATION_LINK_SECRET: 'x'.repeat(32),
      VAPID_PUBLIC_KEY: 'test-key',
    },
  });
  const plan = await planner.plan(userId, 'push', [
    { messageId: 'm_1', conversationId: 'c_1', seq: 1, kind: 'direct', urgent: true },
  ]);
  return plan.job?.channel === 'push' ? plan.job.subscriptions.map((s) => s.endpoint) : [];
}

t.test('a subscription stored but never admitted is neither listed nor pushed to', async (t) => {
  const { client, store, subscribe, listed } = await routesOver(t);
  await fill(t, subscribe);
  await storedOnly(store, USER, 'crashed', new Date());

  t.equal((await listed(USER)).length, 20, 'the list shows the 20 admitted');
  t.notOk((await listed(USER)).includes(endpoint('crashed')), 'and not the one never admitted');

  const asked: Document[] = [];
  client.on('commandStarted', (event) => {
    if (event.commandName === 'find' && event.command.find === 'push_subscriptions')
      asked.push(event.command.filter ?? {});
  });
  const pushed = await pushedTo(store, USER);
  t.equal(pushed.length, 20, 'a push goes to 20 browsers');
  t.notOk(pushed.includes(endpoint('crashed')), 'none of them the one never admitted');
  t.ok(
    asked.every((filter) => Object.keys(filter).length === 1 && typeof filter._id === 'string'),
    'the subscriptions are read by `_id` alone',
  );
});

t.test('registering a stored but unadmitted subscription again admits it', async (t) => {
  const { store, subscribe, listed, unsubscribe } = await routesOver(t);
  const ids = await fill(t, subscribe);
  t.equal(await unsubscribe(USER, ids[0]!), 204, 'a place is free');
  await storedOnly(store, USER, 'crashed', new Date());
  t.equal((await listed(USER)).length, 19, 'the one never admitted does not take it');

  t.equal((await subscribe(USER, 'again', endpoint('crashed'))).status, 200, 'its browser registers again');
  t.ok((await listed(USER)).includes(endpoint('crashed')), 'and it is listed');
  t.ok((await pushedTo(store, USER)).includes(endpoint('crashed')), 'and pushed to');
  t.equal((await subscribe(USER, 'one-more', endpoint('one-more'))).status, 409, 'the 20 places are full');
});

t.test('an orphan older than any registration goes at the next walk, a fresh one stays', async (t) => {
  const { store, subscribe } = await routesOver(t);
  await fill(t, subscribe);
  const old = await storedOnly(store, USER, 'old', new Date(Date.now() - 20 * MINUTE));
  const fresh = await storedOnly(store, USER, 'fresh', new Date());
  const undated = await storedOnly(store, USER, 'undated');

  t.equal((await subscribe(USER, 'over', endpoint('over'))).status, 409, 'refused: the walk runs');
  t.equal(await store.pushSubscriptions.countDocuments({ _id: old }), 0, 'the old orphan is removed');
  t.equal(
    await store.pushSubscriptions.countDocuments({ _id: fresh }),
    1,
    'one maybe still in flight is not',
  );
  const stamped = await store.pushSubscriptions.findOne({ _id: undated });
  t.ok(stamped?.storedAt, 'an undated one is kept, and dated from now on');
});

t.test('an undated orphan goes at a walk after the longest registration', async (t) => {
  const { store } = await routesOver(t);
  let now = new Date();
  const slots = new SubscriptionSlots(store, () => now);
  const admitted = await storedOnly(store, USER, 'admitted', now);
  t.ok(await slots.admit(USER, admitted, 1), 'one place, taken');
  const undated = await storedOnly(store, USER, 'undated');

  t.notOk(await slots.admit(USER, await storedOnly(store, USER, 'over-1', now), 1), 'a walk');
  t.equal(await store.pushSubscriptions.countDocuments({ _id: undated }), 1, 'the first walk dates it');
  now = new Date(now.getTime() + 18 * MINUTE);
  t.notOk(await slots.admit(USER, await storedOnly(store, USER, 'over-2', now), 1), 'a later walk');
  t.equal(await store.pushSubscriptions.countDocuments({ _id: undated }), 0, 'removes it');
  t.equal(await store.pushSubscriptions.countDocuments({ _id: admitted }), 1, 'never an admitted one');
});

t.test("a user's first list leaves out old orphans and keeps what may be in flight", async (t) => {
  const { store, subscribe, listed } = await routesOver(t);
  await storedOnly(store, USER, 'from-before-the-cap');
  const old = await storedOnly(store, USER, 'old', new Date(Date.now() - 20 * MINUTE));
  await storedOnly(store, USER, 'in-flight', new Date());

  t.equal((await subscribe(USER, 'first', endpoint('first'))).status, 201, 'a first registration');
  t.same(
    (await listed(USER)).sort(),
    [endpoint('first'), endpoint('from-before-the-cap'), endpoint('in-flight')],
    'the list starts from what is stored, but for the old orphan',
  );
  t.equal(await store.pushSubscriptions.countDocuments({ _id: old }), 0, 'which is removed');
});

t.test('a user with no list yet is pushed to the first 20 stored, never an old orphan', async (t) => {
  const { store } = await routesOver(t);
  const day = Date.now() - 86_400_000;
  await storedOnly(store, USER, 'old', new Date(day - 20 * MINUTE));
  for (let n = 0; n < 22; n++) {
    const name = `before-the-cap-${String(n).padStart(2, '0')}`;
    await storedOnly(store, USER, name);
    await store.pushSubscriptions.updateOne(
      { _id: subscriptionId(USER, endpoint(name)) },
      { $set: { createdAt: new Date(day + n * MINUTE) } },
    );
  }

  const pushed = await pushedTo(store, USER);
  t.same(
    pushed,
    Array.from({ length: 20 }, (_, n) => endpoint(`before-the-cap-${String(n).padStart(2, '0')}`)),
    'the 20 oldest, as the list will start',
  );
});
