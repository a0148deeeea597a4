import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { FailureLock } from '../src/rate-limits/failure-lock';
import { redisServer } from './private-redis';

/** A private redis-server on a free loopback port, stopped with the test. */
async function startRedis(t: Test): Promise<number> {
  const redis = await redisServer(t);
  t.teardown(() => redis.kill());
  return redis.port;
}

// Two clients stand for two gateway replicas: a lock set through one holds through the other.
t.test('failures lock a key after the threshold, for twice as long each further time', async (t) => {
  const port = await startRedis(t);
  const replicas = [new Redis(port, '127.0.0.1'), new Redis(port, '127.0.0.1')];
  t.teardown(() => Promise.all(replicas.map((r) => r.quit())));
  const options = { name: 'test', threshold: 3, memorySeconds: 60, baseLockSeconds: 10, maxLockSeconds: 35 };
  const [a, b] = replicas.map((redis) => new FailureLock(redis, options)) as [FailureLock, FailureLock];

  t.equal(await a.fail('ada'), 0, 'first failure: no lock');
  t.equal(await b.fail('ada'), 0, 'second, on the other replica: no lock');
  t.equal(await a.lockedFor('ada'), 0);
  t.equal(await b.fail('ada'), 10, 'third reaches the threshold: the base lock');
  const locked = await a.lockedFor('ada');
  t.ok(locked > 9_000 && locked <= 10_000, `the other replica sees the lock (${locked} ms)`);
  t.equal(await a.fail('ada'), 20, 'the next failure doubles it');
  t.equal(await b.fail('ada'), 35, 'up to the ceiling');
  t.equal(await a.lockedFor('bob'), 0, 'other keys are free');

  await b.succeed('ada');
  t.equal(await a.fail('ada'), 0, 'a success clears the count');
});

t.test('parallel attempts get no more tries than the failures left before the lock', async (t) => {
  const port = await startRedis(t);
  const redis = new Redis(port, '127.0.0.1');
  t.teardown(() => redis.quit());
  const lock = new FailureLock(redis, {
    name: 'burst',
    threshold: 3,
    memorySeconds: 60,
    baseLockSeconds: 10,
    maxLockSeconds: 60,
  });

  const burst = await Promise.all(Array.from({ length: 10 }, () => lock.admit('ada')));
  t.equal(burst.filter((wait) => wait === 0).length, 3, 'three of ten run at once');
  for (let i = 0; i < 3; i++) await lock.settle('ada', 'neither');

  t.equal(await lock.admit('ada'), 0);
  t.equal(await lock.settle('ada', 'failure'), 0, 'one failure: two tries left');
  const second = await Promise.all(Array.from({ length: 5 }, () => lock.admit('ada')));
  t.equal(second.filter((wait) => wait === 0).length, 2, 'now two run at once');
  t.equal(await lock.settle('ada', 'failure'), 0);
  t.equal(await lock.settle('ada', 'failure'), 10, 'the third failure locks');
  t.ok((await lock.admit('ada')) > 9_000, 'and a locked key is not admitted');
});
