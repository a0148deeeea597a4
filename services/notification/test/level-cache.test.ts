import type { Collection } from 'mongodb';
import t from 'tap';
import { ExpiringCache } from '../src/delivery/expiring-cache';
import { LEVEL_CACHE_DEFAULTS, LevelCache } from '../src/delivery/level-cache';
import type { ConversationPreferenceDoc, DeliveryStore, PreferencesDoc } from '../src/delivery/store';
import type { NotifyLevel } from '../src/preferences/schemas';
import { memoryBoard } from './chat-event-fixtures';

interface Calls {
  findOne: number;
  find: number;
  /** How many ids each `$in` query asked for. */
  inSizes: number[];
}

/** A collection stand-in answering the two lookups the cache makes, counting them. */
function fakeCollection(docs: Map<string, NotifyLevel>, calls: Calls) {
  const doc = (id: string) => (docs.has(id) ? { _id: id, level: docs.get(id) } : null);
  return {
    async findOne(filter: { _id: string }) {
      calls.findOne += 1;
      return doc(filter._id);
    },
    find(filter: { _id: { $in: string[] } }) {
      calls.find += 1;
      calls.inSizes.push(filter._id.$in.length);
      return { toArray: async () => filter._id.$in.map(doc).filter((d) => d !== null) };
    },
  };
}

function fakeStore() {
  const globals = new Map<string, NotifyLevel>();
  const overrides = new Map<string, NotifyLevel>();
  const calls = {
    globals: { findOne: 0, find: 0, inSizes: [] } as Calls,
    overrides: { findOne: 0, find: 0, inSizes: [] } as Calls,
  };
  const store = {
    preferences: fakeCollection(globals, calls.globals) as unknown as Collection<PreferencesDoc>,
    conversationPreferences: fakeCollection(
      overrides,
      calls.overrides,
    ) as unknown as Collection<ConversationPreferenceDoc>,
  } satisfies Pick<DeliveryStore, 'preferences' | 'conversationPreferences'>;
  return { store, globals, overrides, calls };
}

const users = (count: number) => Array.from({ length: count }, (_, i) => `u${i}`);

t.test('the override wins over the global level, which wins over the default', async (t) => {
  const { store, globals, overrides } = fakeStore();
  globals.set('bob', 'all');
  globals.set('carol', 'nothing');
  overrides.set('carol:c1', 'direct');
  const cache = new LevelCache(store, memoryBoard());
  t.same(await cache.levels('c1', ['alice', 'bob', 'carol']), ['mentions', 'all', 'direct']);
});

t.test('a few missing recipients are read by _id, and later messages read nothing', async (t) => {
  const { store, calls } = fakeStore();
  const cache = new LevelCache(store, memoryBoard());

  await cache.levels('c1', users(8));
  t.same(calls.globals, { findOne: 8, find: 0, inSizes: [] }, 'eight point lookups, no scan');
  t.same(calls.overrides, { findOne: 8, find: 0, inSizes: [] });

  await cache.levels('c1', users(8));
  await cache.levels('c1', users(8));
  t.equal(calls.globals.findOne + calls.overrides.findOne, 16, 'steady state reads no preferences');

  await cache.levels('c2', users(8));
  t.equal(calls.globals.findOne, 8, 'global levels are shared across conversations');
  t.equal(calls.overrides.findOne, 16, 'overrides are per conversation');
});

t.test('many missing recipients are read with $in in chunks, only the missing ones', async (t) => {
  const { store, globals, calls } = fakeStore();
  globals.set('u1500', 'nothing');
  const cache = new LevelCache(store, memoryBoard());

  await cache.levels('c1', users(3));
  const levels = await cache.levels('c1', users(2_500));
  t.equal(levels[1_500], 'nothing');
  t.equal(levels[0], 'mentions');
  t.same(calls.globals.inSizes, [1_000, 1_000, 497], 'the three cached users are not asked again');
  t.same(calls.overrides.inSizes, [1_000, 1_000, 497]);
  t.equal(calls.globals.findOne, 3);

  await cache.levels('c1', users(2_500));
  t.equal(calls.globals.find, 3, 'a second message of the large group reads nothing');
});

t.test('a change made through this instance applies to the next message', async (t) => {
  const { store, globals, overrides, calls } = fakeStore();
  const cache = new LevelCache(store, memoryBoard());
  t.same(await cache.levels('c1', ['bob']), ['mentions']);

  globals.set('bob', 'all');
  t.same(await cache.levels('c1', ['bob']), ['mentions'], 'an unannounced change waits for the age bound');
  await cache.changedUser('bob');
  t.same(await cache.levels('c1', ['bob']), ['all']);

  overrides.set('bob:c1', 'nothing');
  await cache.changedOverride('bob', 'c1');
  t.same(await cache.levels('c1', ['bob']), ['nothing']);
  overrides.delete('bob:c1');
  await cache.changedOverride('bob', 'c1');
  t.same(await cache.levels('c1', ['bob']), ['all'], 'a cleared override falls back to the global level');
  t.equal(calls.globals.findOne, 2);
});

t.test('a change made through another instance is followed once the board tells', async (t) => {
  const { store, globals, overrides, calls } = fakeStore();
  const board = memoryBoard();
  const cache = new LevelCache(store, board);
  const other = new LevelCache(store, board);
  t.same(await cache.levels('c1', ['bob', 'carol']), ['mentions', 'mentions']);

  globals.set('bob', 'all');
  await other.changedUser('bob');
  overrides.set('carol:c1', 'nothing');
  await other.changedOverride('carol', 'c1');
  const before = calls.globals.findOne;
  t.same(await cache.levels('c1', ['bob', 'carol']), ['all', 'nothing']);
  t.equal(calls.globals.findOne - before, 1, "only bob's global level is read again");
});

t.test('an entry is read again once it ages out, whatever the board says', async (t) => {
  let now = 0;
  const { store, globals } = fakeStore();
  const cache = new LevelCache(store, memoryBoard(), { ...LEVEL_CACHE_DEFAULTS, now: () => now });
  await cache.levels('c1', ['bob']);
  globals.set('bob', 'all');
  now = LEVEL_CACHE_DEFAULTS.maxAgeMs - 1;
  t.same(await cache.levels('c1', ['bob']), ['mentions']);
  now = LEVEL_CACHE_DEFAULTS.maxAgeMs;
  t.same(await cache.levels('c1', ['bob']), ['all']);
});

t.test('getMany loads only the misses, once, and joins loads already running', async (t) => {
  const cache = new ExpiringCache<string>({ maxEntries: 10, maxAgeMs: 60_000 });
  const asked: string[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((done) => (release = done));
  const load = async (keys: string[]) => {
    asked.push(keys);
    await gate;
    return keys.map((k) => `v${k}`);
  };

  await cache.get('a', async () => 'va');
  const first = cache.getMany(['a', 'b', 'c', 'b'], load);
  const second = cache.getMany(['c', 'd'], load);
  cache.drop('c');
  release();
  t.same(await first, ['va', 'vb', 'vc', 'vb']);
  t.same(await second, ['vc', 'vd']);
  t.same(asked, [['b', 'c'], ['d']], 'each miss is loaded once, in one call per caller');
  t.same(
    await cache.getMany(['b', 'c', 'd'], async (keys) => keys.map(() => 'fresh')),
    ['vb', 'fresh', 'vd'],
    'c was dropped while loading, so it was not kept',
  );
});

t.test('an entry the board cannot vouch for is loaded again but kept for when it can', async (t) => {
  let silent = false;
  const vouch = {
    stamp: () => (silent ? undefined : 0),
    holds: () => !silent,
  };
  const cache = new ExpiringCache<string>({ maxEntries: 10, maxAgeMs: 60_000, vouch });
  const loads: string[][] = [];
  const load = async (keys: string[]) => {
    loads.push(keys);
    return keys.map((k) => `v${k}`);
  };
  await cache.getMany(['a'], load);
  silent = true;
  await cache.getMany(['a'], load);
  t.equal(loads.length, 2, 'read while the board is silent');
  silent = false;
  t.same(await cache.getMany(['a'], load), ['va']);
  t.equal(loads.length, 2, 'and trusted again once it answers');
});

t.test('a failed load fails its callers and keeps nothing', async (t) => {
  const cache = new ExpiringCache<string>({ maxEntries: 10, maxAgeMs: 60_000 });
  await t.rejects(
    cache.getMany(['a', 'b'], async () => {
      throw new Error('store down');
    }),
    /store down/,
  );
  t.same(await cache.getMany(['a'], async () => ['va']), ['va']);
});
