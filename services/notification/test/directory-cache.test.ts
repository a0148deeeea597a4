import t from 'tap';
import type { Directory, MemberView } from '../src/delivery/directory';
import { DirectoryCache } from '../src/delivery/directory-cache';
import { ExpiringCache } from '../src/delivery/expiring-cache';
import { memoryBoard } from './chat-event-fixtures';

/** A chat and auth stand-in that counts what it is asked. */
function fakeDirectory(members: Map<string, string[]>) {
  const calls = { conversationAs: 0, displayName: 0 };
  const directory: Directory = {
    contact: async () => null,
    async displayName(userId) {
      calls.displayName += 1;
      return `name of ${userId}`;
    },
    async conversationAs(userId, conversationId): Promise<MemberView | null> {
      calls.conversationAs += 1;
      const ids = members.get(conversationId);
      if (!ids?.includes(userId)) return null;
      return {
        id: conversationId,
        type: 'group',
        name: 'standup',
        lastSeq: 0,
        me: { readSeq: 0, muted: false },
        members: ids.map((id) => ({ userId: id })),
      };
    },
    newestMessagesAs: async () => [],
  };
  return { directory, calls };
}

t.test('a conversation is asked of chat once, until a member event drops it', async (t) => {
  const members = new Map([['c1', ['alice', 'bob']]]);
  const { directory, calls } = fakeDirectory(members);
  const cache = new DirectoryCache(directory, memoryBoard());

  t.same(await cache.conversation('alice', 'c1', ['alice']), {
    type: 'group',
    name: 'standup',
    memberIds: ['alice', 'bob'],
    joinSeqs: new Map([
      ['alice', 0],
      ['bob', 0],
    ]),
  });
  await cache.conversation('alice', 'c1', ['alice']);
  await cache.conversation('bob', 'c1', ['bob']);
  t.equal(calls.conversationAs, 1, 'later messages use the cached facts');

  members.set('c1', ['alice', 'bob', 'carol']);
  await cache.changedConversation('c1');
  t.same((await cache.conversation('alice', 'c1', ['alice']))?.memberIds, ['alice', 'bob', 'carol']);
  t.equal(calls.conversationAs, 2, 'a member event makes the next message ask again');
});

t.test('the list says where each member joined, 0 when chat does not', async (t) => {
  const { directory } = fakeDirectory(new Map([['c1', ['alice', 'bob', 'carol']]]));
  const conversationAs = directory.conversationAs.bind(directory);
  directory.conversationAs = async (userId, conversationId) => {
    const view = await conversationAs(userId, conversationId);
    // Carol joined at 12; Bob's entry is as a chat older than the field gives it.
    const joinSeqs = new Map([
      ['alice', 0],
      ['carol', 12],
    ]);
    const withSeq = (m: { userId: string }) => {
      const joinSeq = joinSeqs.get(m.userId);
      return joinSeq === undefined ? m : { ...m, joinSeq };
    };
    return view && { ...view, members: view.members?.map(withSeq) ?? [] };
  };
  const cache = new DirectoryCache(directory, memoryBoard());
  const facts = await cache.conversation('alice', 'c1', ['alice']);
  t.same(
    [...(facts?.joinSeqs ?? [])],
    [
      ['alice', 0],
      ['bob', 0],
      ['carol', 12],
    ],
  );
});

t.test('a sender or mention missing from the cached list reloads it', async (t) => {
  const members = new Map([['c1', ['alice', 'bob']]]);
  const { directory, calls } = fakeDirectory(members);
  const cache = new DirectoryCache(directory, memoryBoard());
  await cache.conversation('alice', 'c1', ['alice']);

  // Carol joined and wrote before this instance heard of it.
  members.set('c1', ['alice', 'bob', 'carol']);
  t.same((await cache.conversation('carol', 'c1', ['carol']))?.memberIds, ['alice', 'bob', 'carol']);
  t.equal(calls.conversationAs, 2);
  members.set('c1', ['alice', 'bob', 'carol', 'dave']);
  t.same((await cache.conversation('alice', 'c1', ['alice', 'dave']))?.memberIds.includes('dave'), true);
  t.equal(calls.conversationAs, 3);
});

t.test('a conversation the sender no longer sees has no recipients', async (t) => {
  const { directory } = fakeDirectory(new Map([['c1', ['bob']]]));
  const cache = new DirectoryCache(directory, memoryBoard());
  t.equal(await cache.conversation('alice', 'c1', ['alice']), null);
});

t.test('display names are cached until a profile event drops them', async (t) => {
  const { directory, calls } = fakeDirectory(new Map());
  const cache = new DirectoryCache(directory, memoryBoard());
  t.equal(await cache.displayName('alice'), 'name of alice');
  await cache.displayName('alice');
  t.equal(calls.displayName, 1);
  await cache.changedUser('alice');
  await cache.displayName('alice');
  t.equal(calls.displayName, 2);
});

t.test('an event taken by another instance reaches this one through the board', async (t) => {
  const members = new Map([['c1', ['alice', 'bob']]]);
  const { directory, calls } = fakeDirectory(members);
  const board = memoryBoard();
  const cache = new DirectoryCache(directory, board);
  const other = new DirectoryCache(directory, board);
  await cache.conversation('alice', 'c1', ['alice']);
  t.equal(await cache.displayName('bob'), 'name of bob');

  members.set('c1', ['alice']);
  await other.changedConversation('c1');
  t.same((await cache.conversation('alice', 'c1', ['alice']))?.memberIds, ['alice'], 'bob is gone here too');
  t.equal(calls.conversationAs, 2);
  await other.changedUser('alice');
  await cache.displayName('bob');
  t.equal(calls.displayName, 1, "another user's change leaves bob's name trusted");
});

t.test('entries expire with age and the oldest fill goes first when full', async (t) => {
  let now = 0;
  const cache = new ExpiringCache<number>({ maxEntries: 2, maxAgeMs: 1_000, now: () => now });
  let loads = 0;
  const load = async () => ++loads;
  await cache.get('a', load);
  await cache.get('a', load);
  t.equal(loads, 1);
  now = 1_000;
  t.equal(await cache.get('a', load), 2, 'an entry as old as the bound is reloaded');

  await cache.get('b', load);
  await cache.get('c', load);
  t.equal(cache.size, 2, 'bounded');
  t.equal(await cache.get('a', load), 5, 'the oldest fill was evicted');
});

t.test('concurrent misses share a load, and a load dropped while running is not kept', async (t) => {
  const cache = new ExpiringCache<string>({ maxEntries: 10, maxAgeMs: 60_000 });
  let loads = 0;
  let release!: () => void;
  const gate = new Promise<void>((done) => (release = done));
  const slow = async () => {
    loads += 1;
    await gate;
    return 'before the change';
  };
  const first = cache.get('k', slow);
  const second = cache.get('k', slow);
  cache.drop('k');
  release();
  t.same(await Promise.all([first, second]), ['before the change', 'before the change']);
  t.equal(loads, 1, 'one load for both callers');
  t.equal(
    await cache.get('k', async () => 'after the change'),
    'after the change',
    'the dropped load was not kept',
  );
});
