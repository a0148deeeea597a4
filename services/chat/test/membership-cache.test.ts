import type { Logger } from '@parley/service-kit';
import type { CommandStartedEvent } from 'mongodb';
import t from 'tap';
import type { Directory } from '../src/auth-client';
import { MembershipCache } from '../src/conversations/membership-cache';
import { Conversations, newMember } from '../src/conversations/service';
import type { ChatEvents } from '../src/events';
import { memberKey, openStore } from '../src/store';
import { connect, startFerretDb } from './ferretdb';

const directory: Directory = {
  requireUser: async () => {},
  blockedAmong: async () => new Set<string>(),
};
const events = { member: async () => {}, conversation: async () => {} } as unknown as ChatEvents;

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
  const cache = new MembershipCache(store, 30_000, () => clock);
  const chat = new Conversations({ store, memberships: cache, directory, events, logger: {} as Logger });

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
    const uncached = new MembershipCache(store, 0, () => clock);
    reads = 0;
    t.equal(await uncached.isMember(group.id, 'u_d'), true);
    t.equal(await uncached.isMember(group.id, 'u_d'), true);
    t.equal(reads, 2);
  });
});
