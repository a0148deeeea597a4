import { type SessionRevokedEvent, Topics } from '@parley/contracts';
import { startPrivateFerretDb } from '@parley/devstack';
import { PublishOutbox, createLogger } from '@parley/service-kit';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { sessionRevocations } from '../src/sessions/session-events';

/** The sidecar's publish, as auth sees it: refused while the broker is away. */
class Broker {
  away = false;
  readonly published: { topic: string; data: SessionRevokedEvent; eventId?: string }[] = [];
  async publish(topic: string, data: object, eventId?: string): Promise<void> {
    if (this.away) throw new Error('circuit breaker is open');
    this.published.push({ topic, data: data as SessionRevokedEvent, eventId });
  }
}

t.test('a revocation made while the broker is away is published once it is back', async (t) => {
  const client = new MongoClient(await startPrivateFerretDb((stop) => t.teardown(stop)));
  await client.connect();
  t.teardown(() => client.close());
  const db = client.db('parley_auth_revocations_test');
  const broker = new Broker();
  const outbox = new PublishOutbox(db, broker, createLogger('auth-test', 'silent'), {
    pollMs: 50,
    firstDelayMs: 0,
    maxDelayMs: 50,
  });
  await outbox.init();
  t.teardown(() => outbox.stop());
  const revoked = sessionRevocations(outbox, createLogger('auth-test', 'silent'));

  await revoked('u1', ['s1'], 'revoked');
  t.match(broker.published, [{ topic: Topics.sessionRevoked, data: { userId: 'u1', sessionIds: ['s1'] } }]);

  broker.away = true;
  await revoked('u1', ['s2', 's3'], 'revoked');
  t.equal(broker.published.length, 1, 'nothing went out while the broker was away');
  t.equal(await outbox.waiting(), 1, 'the revocation is kept');

  broker.away = false;
  outbox.start();
  const deadline = Date.now() + 10_000;
  while (broker.published.length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.match(broker.published[1], {
    topic: Topics.sessionRevoked,
    data: { userId: 'u1', sessionIds: ['s2', 's3'], reason: 'revoked' },
  });
  t.equal(await outbox.waiting(), 0, 'and no longer kept');
  t.match(broker.published[1]?.eventId, /^session-revoked-[0-9a-f]{32}$/, 'with the id it was kept under');
});
