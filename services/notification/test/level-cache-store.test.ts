import type { CommandStartedEvent } from 'mongodb';
import t from 'tap';
import { ChangeBoard, type ChangeBoardDoc, createLogger } from '@parley/service-kit';
import { LEVEL_BOARD, LevelCache, POINT_LOOKUP_LIMIT } from '../src/delivery/level-cache';
import { conversationPreferenceId, openDeliveryStore } from '../src/delivery/store';
import { privateClient } from './ferretdb';

t.test('levels on a real store', async (t) => {
  const client = await privateClient(t);
  const db = client.db('parley_notification_test');
  const store = await openDeliveryStore(db);
  /** An instance's levels board, read once; a test reads it again when it means to. */
  const boardOf = async () => {
    const board = new ChangeBoard(
      db.collection<ChangeBoardDoc>('change_boards'),
      LEVEL_BOARD,
      createLogger('test', 'silent'),
    );
    await board.read();
    return board;
  };
  const now = new Date();
  await store.preferences.insertMany([
    { _id: 'u1', level: 'all', updatedAt: now },
    { _id: 'u2', level: 'nothing', updatedAt: now },
    { _id: 'u20', level: 'direct', updatedAt: now },
  ]);
  await store.conversationPreferences.insertMany(
    ['u2', 'u25'].map((userId) => ({
      _id: conversationPreferenceId(userId, 'c1'),
      userId,
      conversationId: 'c1',
      level: 'all' as const,
      updatedAt: now,
    })),
  );

  const finds: CommandStartedEvent[] = [];
  const record = (event: CommandStartedEvent) => {
    // The boards' own reads are not the levels' lookups.
    if (event.commandName === 'find' && event.command.find !== 'change_boards') finds.push(event);
  };
  client.on('commandStarted', record);
  t.teardown(() => client.off('commandStarted', record));
  const filters = () => finds.splice(0).map((e) => e.command.filter as { _id: unknown });

  t.test('a few missing recipients are read by _id alone', async (t) => {
    const cache = new LevelCache(store, await boardOf());
    t.same(await cache.levels('c1', ['u0', 'u1', 'u2']), ['mentions', 'all', 'all']);
    const asked = filters();
    t.equal(asked.length, 6, 'an override and a global level per recipient');
    t.ok(
      asked.every((filter) => Object.keys(filter).length === 1 && typeof filter._id === 'string'),
      'only lookups FerretDB answers without a scan',
    );
    await cache.levels('c1', ['u0', 'u1', 'u2']);
    t.equal(filters().length, 0, 'the next message reads nothing');
  });

  t.test('a large group is read with $in, once per collection', async (t) => {
    const cache = new LevelCache(store, await boardOf());
    const members = Array.from({ length: 30 }, (_, i) => `u${i}`);
    t.ok(members.length > POINT_LOOKUP_LIMIT);
    const levels = await cache.levels('c1', members);
    t.same(
      [levels[0], levels[1], levels[2], levels[20], levels[25]],
      ['mentions', 'all', 'all', 'direct', 'all'],
    );
    const asked = filters();
    t.equal(asked.length, 2);
    t.ok(asked.every((filter) => (filter._id as { $in?: string[] }).$in?.length === 30));
    await cache.levels('c1', members);
    t.equal(filters().length, 0);
  });

  t.test('a level changed through another instance is followed once this one reads the board', async (t) => {
    const board = await boardOf();
    const cache = new LevelCache(store, board);
    const other = new LevelCache(store, await boardOf());
    t.same(await cache.levels('c2', ['u40', 'u41']), ['mentions', 'mentions']);
    filters();

    await store.preferences.insertOne({ _id: 'u40', level: 'all', updatedAt: new Date() });
    await other.changedUser('u40');
    t.same(
      await cache.levels('c2', ['u40', 'u41']),
      ['mentions', 'mentions'],
      'not before it reads the board',
    );
    t.equal(filters().length, 0);

    await board.read();
    t.same(await cache.levels('c2', ['u40', 'u41']), ['all', 'mentions']);
    t.ok(
      filters().some((filter) => filter._id === 'u40'),
      "the changed user's level was read again",
    );
  });
});
