import { Topics, type UserBlockChangedEvent, userBlockChangedEvent } from '@parley/contracts';
import { startPrivateFerretDb } from '@parley/devstack';
import { PublishOutbox, createLogger } from '@parley/service-kit';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { blockChanges } from '../src/contacts/block-events';
import { ContactStore } from '../src/contacts/contact-store';

/** The sidecar's publish, as auth sees it. */
class Broker {
  readonly published: { topic: string; data: UserBlockChangedEvent; eventId?: string }[] = [];
  async publish(topic: string, data: object, eventId?: string): Promise<void> {
    this.published.push({ topic, data: data as UserBlockChangedEvent, eventId });
  }
}

t.test('blocks and unblocks are published as user.block.changed', async (t) => {
  const client = new MongoClient(await startPrivateFerretDb((stop) => t.teardown(stop)));
  await client.connect();
  t.teardown(() => client.close());
  const db = client.db('parley_auth_block_events_test');
  const broker = new Broker();
  const logger = createLogger('auth-test', 'silent');
  const outbox = new PublishOutbox(db, broker, logger);
  await outbox.init();
  const contacts = new ContactStore(db, blockChanges(outbox, logger));

  await contacts.block('u_ann', 'u_bob');
  t.match(broker.published, [
    { topic: Topics.userBlockChanged, data: { blockerId: 'u_ann', blockedId: 'u_bob', blocked: true } },
  ]);

  t.equal(await contacts.unblock('u_ann', 'u_bob'), true);
  t.match(broker.published[1], {
    topic: Topics.userBlockChanged,
    data: { blockerId: 'u_ann', blockedId: 'u_bob', blocked: false },
  });

  t.equal(await contacts.unblock('u_ann', 'u_bob'), false);
  t.equal(broker.published.length, 2, 'an unblock of a pair not blocked changes nothing, and says nothing');

  await contacts.block('u_ann', 'u_bob');
  t.equal(broker.published.length, 3, 'blocking again is published again');
  const ids = new Set(broker.published.map((p) => p.eventId));
  t.equal(ids.size, 3, 'each change under its own id, so consumers apply every one');
  for (const { data } of broker.published) {
    t.ok(userBlockChangedEvent.safeParse(data).success, 'the event matches its contract');
  }
});
