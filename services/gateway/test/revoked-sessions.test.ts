import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { RevokedSessions, sessionIdOf } from '../src/realtime/revoked-sessions';
import { redisServer } from './private-redis';

/** A private Redis and a client of it that gives up a command after one retry. */
async function redisWithClient(t: Test) {
  const redis = await redisServer(t);
  const client = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  client.on('error', () => undefined);
  t.teardown(async () => {
    client.disconnect();
    await redis.kill();
  });
  return { redis, client };
}

t.test('while Redis is away, auth is asked whether a session is open', async (t) => {
  const { redis, client } = await redisWithClient(t);
  const open = randomUUID();
  const revokedHere = randomUUID();
  const revokedElsewhere = randomUUID();
  const asked: string[] = [];
  let authAway = false;
  const revoked = new RevokedSessions(client, 60, async (sessionId) => {
    asked.push(sessionId);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (authAway) throw new Error('auth is away too');
    return sessionId === open;
  });
  await client.ping();
  await revoked.add([revokedHere]);

  t.equal(await revoked.has(open), false);
  t.equal(await revoked.has(revokedHere), true);
  t.same(asked, [], 'with Redis up, Redis answers');

  await redis.kill();
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(
    await Promise.all([revoked.has(open), revoked.has(open), revoked.has(revokedElsewhere)]),
    [false, false, true],
    'auth says which sessions are open',
  );
  t.same(asked.sort(), [open, revokedElsewhere].sort(), 'one question per session, shared by checks at once');
  t.equal(await revoked.has(revokedHere), true, 'a revocation this replica handled is known without asking');
  t.equal(await revoked.has('../not-a-session'), false, 'an id auth never issues is not asked about');
  t.equal(asked.length, 2);
  t.equal(await revoked.has(open), false);
  t.equal(asked.length, 2, 'an answer is trusted for a few seconds');

  authAway = true;
  const unknown = randomUUID();
  await t.rejects(revoked.has(unknown), { status: 503, code: 'DEPENDENCY_UNAVAILABLE' });

  authAway = false;
  await redis.start();
  for (let i = 0; i < 100 && client.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 50));
  const before = asked.length;
  t.equal(await revoked.has(unknown), false, 'Redis back: it answers again (nothing there for this one)');
  t.equal(asked.length, before, 'and auth is not asked');
  t.equal(
    await revoked.has(revokedElsewhere),
    true,
    'a revocation auth told of still holds, though its event has not reached Redis',
  );
});

t.test('without auth to ask, Redis away is a dependency failure', async (t) => {
  const { redis, client } = await redisWithClient(t);
  await client.ping();
  const revoked = new RevokedSessions(client, 60);
  await redis.kill();
  await t.rejects(revoked.has(randomUUID()), { status: 503, code: 'DEPENDENCY_UNAVAILABLE' });
});

t.test('the sid of a bearer token is read whatever the case of the scheme', async (t) => {
  const claims = Buffer.from(JSON.stringify({ sid: 's_1' })).toString('base64url');
  for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
    t.equal(sessionIdOf(`${scheme} x.${claims}.x`), 's_1', scheme);
  }
});
