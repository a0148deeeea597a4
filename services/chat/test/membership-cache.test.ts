import { ChangeBoard, type Logger, createLogger } from '@parley/service-kit';
import type { CommandStartedEvent } from 'mongodb';
import t from 'tap';
import type { Directory } from '../src/auth-client';
import { MEMBERSHIP_BOARD, MembershipCache } from '../src/conversations/membership-cache';
import { Conversations, newMember } from '../src/conversations/service';
import type { ChatEvents } from '../src/events';
import { type ChatStore, memberKey, openStore } from '../src/store';
import { connect, noPictures, startFerretDb } from './ferretdb';

const directory: Directory = {
  requireUser: async () => {},
  blockedAmong: async () => new Set<string>(),
};
const events = { member: async () => {}, conversation: async () => {} } as unknown as ChatEvents;
const silent = createLogger('test', 'silent');

/** An instance's membership board, read once; the tests read it again when they mean to. */
async function boardOf(store: ChatStore): Promise<ChangeBoard> {
  const board = new ChangeBoard(store.changeBoards, MEMBERSHIP_BOARD, silent);
  await board.read();
  return board;
}

t.test('membership checks on FerretDB', async (t) => {
  const url = await startFerretDb(t);
  const client = await connect(t, url);
  const store = await openStore(client.db('parley_chat_memberships_test'));
  let reads = 0;
  const countReads = (event: CommandStartedEvent) => {
    if (event.commandName === 'find' && event.command.find === 'members') reads++;
  };
  client.on('commandStarted', countReads);
  t.teardown(() => client.off('commandStarted', countReads));
  let clock = 1_000_000;
  const board = await boardOf(store);
  const cache = new MembershipCache(store, board, 30_000, () => clock);
  const chat = new Conversations({
    store,
    pictures: noPictures,
    memberships: cache,
    directory,
    events,
    logger: {} as Logger,
  });

  await t.test('a membership found is trusted until it expires', async (t) => {
    const group = await chat.createGroup('u_owner', { name: 'g', memberIds: ['u_a'] });
    reads = 0;
    t.equal(await cache.isMember(group.id, 'u_a'), true);
    t.equal(await cache.isMember(group.id, 'u_a'), true);
    t.equal(reads, 1, 'the second check did not read');

    clock += 30_001;
    t.equal(await cache.isMember(group.id, 'u_a'), true);
    t.equal(reads, 2, 'an expired membership is read again');
  });

  await t.test('a removal through this instance takes effect at once', async (t) => {
    const group = await chat.createGroup('u_owner', { name: 'g', memberIds: ['u_b'] });
    t.equal(await cache.isMember(group.id, 'u_b'), true);

    await chat.removeMember('u_owner', group.id, 'u_b');
    t.equal(await cache.isMember(group.id, 'u_b'), false);
  });

  await t.test('a check whose read a removal overtook keeps nothing', async (t) => {
    const group = await chat.createGroup('u_owner', { name: 'g', memberIds: ['u_c'] });
    // The read is on its way when the removal is made (and forgotten) here.
    const check = cache.isMember(group.id, 'u_c');
    await store.members.deleteOne({ _id: memberKey(group.id, 'u_c') });
    cache.forget(group.id, 'u_c');
    await check;
    t.equal(await cache.isMember(group.id, 'u_c'), false);
  });

  await t.test('a non-member is not remembered: joining counts at once', async (t) => {
    const group = await chat.createGroup('u_owner', { name: 'g', memberIds: [] });
    t.equal(await cache.isMember(group.id, 'u_late'), false);
    await store.members.insertOne(newMember(group.id, 'u_late', 'member', new Date()));
    t.equal(await cache.isMember(group.id, 'u_late'), true);
  });

  await t.test('with no time to trust, every check reads', async (t) => {
    const group = await chat.createGroup('u_owner', { name: 'g', memberIds: ['u_d'] });
    const uncached = new MembershipCache(store, board, 0, () => clock);
    reads = 0;
    t.equal(await uncached.isMember(group.id, 'u_d'), true);
    t.equal(await uncached.isMember(group.id, 'u_d'), true);
    t.equal(reads, 2);
  });

  /** A second chat instance on the same database, with its own memory and board. */
  const anotherInstance = async () => {
    const other = new MembershipCache(store, await boardOf(store), 30_000, () => clock);
    const otherChat = new Conversations({
      store,
      pictures: noPictures,
      memberships: other,
      directory,
      events,
      logger: {} as Logger,
    });
    return { other, otherChat };
  };

  await t.test(
    'a removal through another instance takes effect here once this one reads the board',
    async (t) => {
      const { other, otherChat } = await anotherInstance();
      const group = await chat.createGroup('u_owner', { name: 'g', memberIds: ['u_e'] });
      t.equal(await cache.isMember(group.id, 'u_e'), true, 'this instance remembers the membership');

      await otherChat.removeMember('u_owner', group.id, 'u_e');
      t.equal(await other.isMember(group.id, 'u_e'), false, 'the other instance refuses at once');
      await board.read();
      reads = 0;
      t.equal(await cache.isMember(group.id, 'u_e'), false, 'and so does this one after its next read');
      t.equal(reads, 1, 'which read the membership again');
    },
  );

  await t.test('a removal elsewhere makes only its own conversation read again', async (t) => {
    const groups = await Promise.all(
      Array.from({ length: 8 }, () => chat.createGroup('u_owner', { name: 'g', memberIds: ['u_f'] })),
    );
    for (const group of groups) await cache.isMember(group.id, 'u_f');
    const { otherChat } = await anotherInstance();
    await otherChat.removeMember('u_owner', groups[0]!.id, 'u_f');
    await board.read();
    reads = 0;
    for (const group of groups.slice(1)) t.equal(await cache.isMember(group.id, 'u_f'), true);
    t.ok(reads < 3, `the other conversations are mostly still remembered (${reads} of 7 read)`);
  });

  await t.test('while the board cannot vouch, every check reads', async (t) => {
    const group = await chat.createGroup('u_owner', { name: 'g', memberIds: ['u_g'] });
    const unread = new ChangeBoard(store.changeBoards, MEMBERSHIP_BOARD, silent);
    const blind = new MembershipCache(store, unread, 30_000, () => clock);
    reads = 0;
    t.equal(await blind.isMember(group.id, 'u_g'), true);
    t.equal(await blind.isMember(group.id, 'u_g'), true);
    t.equal(reads, 2);
  });

  await t.test('checks of one membership at once share one read', async (t) => {
    const group = await chat.createGroup('u_owner', { name: 'g', memberIds: ['u_h'] });
    const fresh = new MembershipCache(store, board, 30_000, () => clock);
    reads = 0;
    const answers = await Promise.all(Array.from({ length: 50 }, () => fresh.isMember(group.id, 'u_h')));
    t.ok(answers.every(Boolean));
    t.equal(reads, 1);
  });

  await t.test('a check after a removal does not join a read the removal overtook', async (t) => {
    const group = await chat.createGroup('u_owner', { name: 'g', memberIds: ['u_i'] });
    // This instance's reads find what is stored, then wait at a gate before they answer: the
    // first read found the membership, and its answer is still on its way at the removal.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const findOne = async (...args: unknown[]) => {
      const found = await store.members.findOne(...(args as []));
      await gate;
      return found;
    };
    const members = Object.create(store.members, { findOne: { value: findOne } }) as ChatStore['members'];
    const fresh = new MembershipCache({ ...store, members }, board, 30_000, () => clock);
    const before = fresh.isMember(group.id, 'u_i');
    await new Promise((resolve) => setTimeout(resolve, 100)); // its read is done by now
    await store.members.deleteOne({ _id: memberKey(group.id, 'u_i') });
    fresh.forget(group.id, 'u_i');
    const after = fresh.isMember(group.id, 'u_i');
    open();
    await before;
    t.equal(await after, false, 'the check made after the removal refuses');
  });

  await t.test('a board silent for a while makes checks read, and then trusts again what held', async (t) => {
    const group = await chat.createGroup('u_owner', { name: 'g', memberIds: ['u_j'] });
    const boardClock = { now: Date.now() };
    const slow = new ChangeBoard(store.changeBoards, MEMBERSHIP_BOARD, silent, { now: () => boardClock.now });
    await slow.read();
    const cache = new MembershipCache(store, slow, 30_000, () => clock);
    t.equal(await cache.isMember(group.id, 'u_j'), true);
    reads = 0;
    boardClock.now += 10_000; // no read of the board for 10 s
    t.equal(await cache.isMember(group.id, 'u_j'), true);
    t.equal(await cache.isMember(group.id, 'u_j'), true);
    t.equal(reads, 2, 'while the board is silent, every check reads');
    await slow.read();
    t.equal(await cache.isMember(group.id, 'u_j'), true);
    t.equal(reads, 2, 'once it answers with the same counter, the membership is trusted again');
  });
});
