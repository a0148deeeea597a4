import t from 'tap';
import { BlockCache, type Relations } from '../src/delivery/block-cache';

t.test('blocked pairs are asked of auth once a while, the misses of a message in one call', async (t) => {
  const blocks = new Set(['u_bob:u_alice']);
  const calls: string[][] = [];
  const relations: Relations = {
    blockedAmong: async (userId, others) => {
      calls.push(others);
      return new Set(others.filter((id) => blocks.has(`${id}:${userId}`) || blocks.has(`${userId}:${id}`)));
    },
  };
  let now = 0;
  const cache = new BlockCache(relations, { maxEntries: 100, maxAgeMs: 30_000, now: () => now });

  t.same([...(await cache.blockedAmong('u_alice', ['u_bob', 'u_carol']))], ['u_bob'], 'either way');
  t.same([...(await cache.blockedAmong('u_carol', ['u_alice', 'u_bob']))], [], 'a pair not blocked');
  t.same(
    calls,
    [
      ['u_bob', 'u_carol'],
      ['u_alice', 'u_bob'],
    ],
    'one call for each message',
  );

  blocks.clear();
  now = 29_999;
  t.same([...(await cache.blockedAmong('u_alice', ['u_bob', 'u_dan']))], ['u_bob'], 'kept a while');
  t.same(calls.at(-1), ['u_dan'], 'only the pair not known is asked');
  now = 30_000;
  t.same([...(await cache.blockedAmong('u_alice', ['u_bob']))], [], 'an unblock holds within the age');
  t.equal(calls.length, 4);
});
