import t from 'tap';
import { BlockCache, type Relations } from '../src/delivery/block-cache';
import { memoryBoard } from './chat-event-fixtures';

/** Auth's blocks in memory (`<blocker>:<blocked>`), counting the ids each call asks about. */
function fakeRelations(blocks: Set<string>) {
  const calls: string[][] = [];
  const relations: Relations = {
    blockedAmong: async (userId, others) => {
      calls.push(others);
      return new Set(others.filter((id) => blocks.has(`${id}:${userId}`) || blocks.has(`${userId}:${id}`)));
    },
  };
  return { relations, calls };
}

t.test('blocked pairs are asked of auth once a while, the misses of a message in one call', async (t) => {
  const blocks = new Set(['u_bob:u_alice']);
  const { relations, calls } = fakeRelations(blocks);
  let now = 0;
  const cache = new BlockCache(relations, memoryBoard(), {
    maxEntries: 100,
    maxAgeMs: 30_000,
    now: () => now,
  });

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
  t.same(
    [...(await cache.blockedAmong('u_alice', ['u_bob']))],
    [],
    'an unblock whose event was lost holds within the age',
  );
  t.equal(calls.length, 4);
});

t.test('a block change drops the pair both ways, on every instance, at once', async (t) => {
  const blocks = new Set<string>();
  const board = memoryBoard();
  const one = fakeRelations(blocks);
  const other = fakeRelations(blocks);
  const cache = new BlockCache(one.relations, board);
  const elsewhere = new BlockCache(other.relations, board);

  t.same([...(await cache.blockedAmong('u_bob', ['u_carol', 'u_dan']))], [], 'nobody blocked yet');
  t.same([...(await cache.blockedAmong('u_carol', ['u_bob']))], []);
  t.same([...(await elsewhere.blockedAmong('u_bob', ['u_carol']))], []);
  t.equal(one.calls.length + other.calls.length, 3);

  blocks.add('u_carol:u_bob');
  // The event reaches one instance; the other reads the board.
  await cache.changedPair('u_carol', 'u_bob');
  t.same([...(await cache.blockedAmong('u_bob', ['u_carol', 'u_dan']))], ['u_carol'], 'the blocked sends');
  t.same(one.calls.at(-1), ['u_carol'], 'only the changed pair is asked again');
  t.same([...(await cache.blockedAmong('u_carol', ['u_bob']))], ['u_bob'], 'the blocker sends');
  t.same([...(await elsewhere.blockedAmong('u_bob', ['u_carol']))], ['u_carol'], 'another instance');

  blocks.clear();
  await elsewhere.changedPair('u_carol', 'u_bob');
  t.same([...(await cache.blockedAmong('u_bob', ['u_carol']))], [], 'an unblock counts at once too');
  t.same([...(await elsewhere.blockedAmong('u_carol', ['u_bob']))], []);
});
