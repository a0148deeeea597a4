import { MongoClient } from 'mongodb';
import t, { type Test } from 'tap';
import { privateDb } from './ferretdb';
import { PublishOutbox, type PublishOutboxOptions, createLogger } from '../src/index';

const logger = createLogger('test', 'silent');

const db = privateDb('parley_outbox_test');

/** An outbox over a sidecar that refuses while `down` holds, or hangs while `hanging` does. */
async function outboxOver(t: Test, options: Partial<PublishOutboxOptions> = {}) {
  await db().collection('publish_outbox').deleteMany({});
  const clock = { now: 1_000_000 };
  const sidecar = {
    down: false,
    hanging: false,
    published: [] as { topic: string; data: object; eventId?: string }[],
    async publish(topic: string, data: object, eventId?: string) {
      if (this.hanging) await new Promise((resolve) => setTimeout(resolve, 200));
      if (this.down) throw new Error('broker away');
      this.published.push({ topic, data, eventId });
    },
  };
  const outbox = new PublishOutbox(db(), sidecar, logger, {
    firstDelayMs: 1_000,
    maxDelayMs: 4_000,
    publishTimeoutMs: 100,
    now: () => clock.now,
    ...options,
  });
  await outbox.init();
  t.teardown(() => outbox.stop());
  return { outbox, sidecar, clock };
}

t.test('a publish the sidecar takes is not kept', async (t) => {
  const { outbox, sidecar } = await outboxOver(t);
  await outbox.publish('chat.message.created', { n: 1 }, 'e1');
  t.same(sidecar.published, [{ topic: 'chat.message.created', data: { n: 1 }, eventId: 'e1' }]);
  t.equal(await outbox.waiting(), 0);
});

t.test('a refused publish is kept, answered, and published later under its own id', async (t) => {
  const { outbox, sidecar, clock } = await outboxOver(t);
  sidecar.down = true;
  await outbox.publish('chat.message.created', { n: 2, $odd: 'key' }, 'e2');
  t.equal(await outbox.waiting(), 1, 'kept');

  clock.now += 999;
  t.equal(await outbox.publishDue(), 0, 'not before its wait is over');
  clock.now += 1;
  t.equal(await outbox.publishDue(), 0, 'still refused: kept');
  clock.now += 1_999;
  t.equal(await outbox.publishDue(), 0, 'the second wait is twice as long');
  sidecar.down = false;
  clock.now += 1;
  t.equal(await outbox.publishDue(), 1);
  t.same(sidecar.published, [{ topic: 'chat.message.created', data: { n: 2, $odd: 'key' }, eventId: 'e2' }]);
  t.equal(await outbox.waiting(), 0, 'and removed');
});

t.test('a publish that hangs is kept once its time is up', async (t) => {
  const { outbox, sidecar } = await outboxOver(t);
  sidecar.hanging = true;
  const started = Date.now();
  await outbox.publish('chat.message.created', { n: 3 }, 'e3');
  t.ok(Date.now() - started < 190, 'answered before the sidecar did');
  t.equal(await outbox.waiting(), 1);
});

t.test('the same event kept twice is kept once', async (t) => {
  const { outbox, sidecar } = await outboxOver(t);
  sidecar.down = true;
  await outbox.publish('t', { n: 4 }, 'e4');
  await outbox.publish('t', { n: 4 }, 'e4');
  t.equal(await outbox.waiting(), 1);
});

t.test('with nowhere to keep it, the publish fails', async (t) => {
  const { sidecar } = await outboxOver(t);
  sidecar.down = true;
  const client = new MongoClient('mongodb://127.0.0.1:9/', { serverSelectionTimeoutMS: 200 });
  const unreachable = new PublishOutbox(client.db('none'), sidecar, logger, { publishTimeoutMs: 100 });
  await t.rejects(unreachable.publish('t', { n: 5 }, 'e5'), /broker away/);
  await client.close();
});

t.test(
  'a refused event holds back the others until the next poll; the earliest due goes first',
  async (t) => {
    const { outbox, sidecar, clock } = await outboxOver(t);
    sidecar.down = true;
    await outbox.publish('t', { n: 6 }, 'e6');
    clock.now += 10;
    await outbox.publish('t', { n: 7 }, 'e7');
    clock.now += 1_000;
    t.equal(await outbox.publishDue(), 0);
    t.equal(await outbox.waiting(), 2, 'both still kept');
    sidecar.down = false;
    clock.now += 2_000;
    t.equal(await outbox.publishDue(), 2);
    t.same(
      sidecar.published.map((p) => p.eventId),
      ['e7', 'e6'],
      'e7 was due first: e6 waited longer after its second refusal',
    );
  },
);

t.test('polling publishes on its own and stops cleanly', async (t) => {
  const { outbox, sidecar } = await outboxOver(t, { now: Date.now, firstDelayMs: 30, pollMs: 20 });
  sidecar.down = true;
  await outbox.publish('t', { n: 8 }, 'e8');
  sidecar.down = false;
  outbox.start();
  const deadline = Date.now() + 10_000;
  while (sidecar.published.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await outbox.stop();
  t.same(
    sidecar.published.map((p) => p.eventId),
    ['e8'],
  );
  t.equal(await outbox.waiting(), 0);
});
