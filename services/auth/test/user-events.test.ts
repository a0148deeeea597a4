import { Topics } from '@parley/contracts';
import { startPrivateFerretDb } from '@parley/devstack';
import { createLogger } from '@parley/service-kit';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { UserEvents } from '../src/accounts/user-events';
import { UserStore } from '../src/accounts/user-store';

interface Published {
  topic: string;
  data: { userId: string; user?: { displayName: string } };
  eventId: string | undefined;
}

/** The sidecar's publish as the auth service sees it: it refuses while `down`, as when daprd or its broker is. */
class Broker {
  down = false;
  readonly published: Published[] = [];
  async publish(topic: string, data: object, eventId?: string): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED (sidecar down)');
    this.published.push({ topic, data: data as Published['data'], eventId });
  }
}

t.test('user events survive a sidecar that cannot publish', async (t) => {
  const client = new MongoClient(await startPrivateFerretDb((stop) => t.teardown(stop)));
  await client.connect();
  t.teardown(() => client.close());
  const db = client.db('parley_auth_outbox_test');
  const users = new UserStore(db);
  await users.ensureIndexes();
  const broker = new Broker();
  const events = new UserEvents(broker, createLogger('auth-test', 'silent'), db, (id) => users.findById(id), {
    retryAfterMs: 0,
    relayEveryMs: 50,
  });
  await events.ensureIndexes();
  const outbox = db.collection('user_event_outbox');
  let n = 0;
  const register = () =>
    users.create({
      username: `outbox${++n}`,
      email: `outbox${n}@example.test`,
      emailVerified: false,
      displayName: `Person ${n}`,
      passwordHash: null,
    });

  await t.test('a published event leaves nothing waiting', async (t) => {
    const user = await register();
    await events.registered(user);
    t.same(
      broker.published.map((p) => [p.topic, p.eventId]),
      [[Topics.userRegistered, `user-registered-${user._id}`]],
    );
    t.equal(await outbox.countDocuments(), 0);
    t.equal(await events.relay(), 0, 'the relay has nothing to do');
    broker.published.length = 0;
  });

  await t.test(
    'an event the sidecar refused is published by the relay, with its id, once it is back',
    async (t) => {
      const user = await register();
      broker.down = true;
      await events.registered(user);
      t.same(broker.published, [], 'nothing reached the broker');
      t.equal(await events.relay(), 0, 'the relay keeps it while the sidecar is down');
      t.equal(await outbox.countDocuments(), 1);
      broker.down = false;
      t.equal(await events.relay(), 1);
      t.same(
        broker.published.map((p) => [p.topic, p.eventId, p.data.userId]),
        [[Topics.userRegistered, `user-registered-${user._id}`, user._id]],
      );
      t.equal(await outbox.countDocuments(), 0);
      t.equal(await events.relay(), 0, 'published once');
      broker.published.length = 0;
    },
  );

  await t.test('a retried profile event carries the profile as it is now', async (t) => {
    const user = await register();
    broker.down = true;
    const first = await users.updateProfile(user._id, { displayName: 'First name' });
    await events.updated(first!);
    broker.down = false;
    const second = await users.updateProfile(user._id, { displayName: 'Second name' });
    await events.updated(second!);
    t.equal(await events.relay(), 1);
    const names = broker.published.map((p) => p.data.user?.displayName);
    t.same(names, ['Second name', 'Second name'], 'the late retry does not bring the first name back');
    t.not(broker.published[0]?.eventId, broker.published[1]?.eventId, 'two updates, two event ids');
    broker.published.length = 0;
  });

  await t.test('a retried event of an account deleted since is dropped; the deletion goes out', async (t) => {
    const user = await register();
    broker.down = true;
    await events.updated(user);
    await users.delete(user._id);
    await events.deleted(user._id);
    await events.deleted(user._id);
    t.equal(await outbox.countDocuments(), 2, 'the update and one deletion wait');
    broker.down = false;
    t.equal(await events.relay(), 1);
    t.same(
      broker.published.map((p) => [p.topic, p.eventId]),
      [[Topics.userDeleted, `user-deleted-${user._id}`]],
    );
    t.equal(await outbox.countDocuments(), 0);
    broker.published.length = 0;
  });

  await t.test('the running relay publishes on its own', async (t) => {
    const user = await register();
    broker.down = true;
    await events.registered(user);
    broker.down = false;
    const stop = events.startRelay();
    t.teardown(stop);
    const deadline = Date.now() + 10_000;
    while (broker.published.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    t.same(
      broker.published.map((p) => p.eventId),
      [`user-registered-${user._id}`],
    );
  });
});
