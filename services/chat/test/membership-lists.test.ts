import t from 'tap';
import type { Logger } from '@parley/service-kit';
import type { Directory } from '../src/auth-client';
import { Conversations, newMember } from '../src/conversations/service';
import type { ChatEvents } from '../src/events';
import { type ChatStore, type ConversationDoc, type MemberDoc, openStore } from '../src/store';
import { connect, noPictures, startFerretDb, unrememberedMemberships } from './ferretdb';

const directory: Directory = {
  requireUser: async () => {},
  blockedAmong: async () => new Set<string>(),
};
const events = { member: async () => {}, conversation: async () => {} } as unknown as ChatEvents;

function conversationsOn(store: ChatStore): Conversations {
  return new Conversations({
    store,
    pictures: noPictures,
    memberships: unrememberedMemberships(store),
    directory,
    events,
    logger: {} as Logger,
  });
}

t.test('membership lists on FerretDB', async (t) => {
  const url = await startFerretDb(t);
  const store = await openStore((await connect(t, url)).db('parley_chat_lists_test'));
  const chat = conversationsOn(store);

  await t.test('a member added to a group is listed, and a removed one is not', async (t) => {
    const group = await chat.createGroup('u_owner', { name: 'g', memberIds: ['u_a'] });
    await chat.addMembers('u_owner', group.id, ['u_b']);
    t.same(
      (await chat.cursorsOf('u_b')).map((c) => c.id),
      [group.id],
    );
    t.same((await chat.audienceOf('u_b')).userIds.sort(), ['u_a', 'u_owner']);

    await chat.removeMember('u_owner', group.id, 'u_b');
    t.same(await chat.cursorsOf('u_b'), []);
    t.same((await chat.audienceOf('u_owner')).userIds, ['u_a']);
  });

  await t.test('a new conversation starts with a complete member list', async (t) => {
    const group = await chat.createGroup('u_new', { name: 'g', memberIds: ['u_new_a'] });
    t.match(await store.conversationMembers.findOne({ _id: group.id }), { complete: true });
    // A membership written behind the lists' back is not picked up: the list was never rebuilt.
    await store.members.insertOne(newMember(group.id, 'u_stray', 'member', new Date()));
    t.same((await chat.audienceOf('u_new')).userIds, ['u_new_a']);
  });

  await t.test('a listed conversation whose membership is gone is not returned', async (t) => {
    const group = await chat.createGroup('u_c', { name: 'g', memberIds: [] });
    // What a crash between listing and inserting a membership leaves behind.
    await store.userConversations.updateOne(
      { _id: 'u_c' },
      { $addToSet: { ids: 'c_000000000000000000000999' } },
      { upsert: true },
    );
    t.same(
      (await chat.cursorsOf('u_c')).map((c) => c.id),
      [group.id],
    );
  });

  await t.test('in a database listed from its start, a list never built is whole', async (t) => {
    t.equal(store.listsFromStart, true, 'the first chat found no memberships');
    const group = await chat.createGroup('u_fresh', { name: 'g', memberIds: [] });
    await store.userConversations.updateOne({ _id: 'u_fresh' }, { $unset: { complete: '' } });
    // Only a list made behind chat's back could miss a membership; none is looked for.
    await store.members.insertOne(newMember('c_000000000000000000000777', 'u_fresh', 'member', new Date()));
    t.same(
      (await chat.cursorsOf('u_fresh')).map((c) => c.id),
      [group.id],
    );
    t.same(await chat.cursorsOf('u_never_added'), [], 'a user without a list is in no conversation');
  });

  await t.test('a conversation shows its listed members that are still members, in order', async (t) => {
    const group = await chat.createGroup('u_view_owner', { name: 'g', memberIds: ['u_view_b', 'u_view_a'] });
    // What a crash between deleting a membership and unlisting it leaves behind.
    await store.conversationMembers.updateOne({ _id: group.id }, { $addToSet: { ids: 'u_view_gone' } });
    const view = await chat.get('u_view_owner', group.id);
    t.same(view.members, [
      { userId: 'u_view_a', role: 'member', joinSeq: 0 },
      { userId: 'u_view_b', role: 'member', joinSeq: 0 },
      { userId: 'u_view_owner', role: 'owner', joinSeq: 0 },
    ]);
    t.equal(view.memberCount, 3);
  });

  // A database with memberships from before the lists: its first chat with lists builds them.
  const legacyDb = (await connect(t, url)).db('parley_chat_lists_legacy');
  const conversationId = 'c_000000000000000000000abc';
  await legacyDb.collection<ConversationDoc>('conversations').insertOne({
    _id: conversationId,
    type: 'group',
    directPair: null,
    name: 'old',
    topic: null,
    avatarMediaId: null,
    createdBy: 'u_old1',
    createdAt: new Date(),
    lastSeq: 7,
    lastActivity: new Date(),
    version: 0,
  });
  for (const userId of ['u_old1', 'u_old2']) {
    await legacyDb
      .collection<MemberDoc>('members')
      .insertOne(newMember(conversationId, userId, 'member', new Date()));
  }
  const legacy = await openStore(legacyDb);
  const legacyChat = conversationsOn(legacy);

  await t.test('lists are built once from memberships stored before them', async (t) => {
    t.equal(legacy.listsFromStart, false);
    t.equal((await openStore(legacyDb)).listsFromStart, false, 'decided once, by the first chat');
    t.same(await legacyChat.cursorsOf('u_old1'), [{ id: conversationId, lastSeq: 7 }]);
    t.same((await legacyChat.audienceOf('u_old1')).userIds, ['u_old2']);
    t.same(await legacy.userConversations.findOne({ _id: 'u_old1' }), {
      _id: 'u_old1',
      ids: [conversationId],
      complete: true,
    });
    t.same((await legacy.conversationMembers.findOne({ _id: conversationId }))?.ids.sort(), [
      'u_old1',
      'u_old2',
    ]);
  });

  await t.test('a user added to a half-built list still gets the older conversations', async (t) => {
    // A listing made before the first read starts the list without marking it complete.
    await legacy.userConversations.updateOne(
      { _id: 'u_old2' },
      { $addToSet: { ids: 'c_000000000000000000000def' } },
      { upsert: true },
    );
    t.same(
      (await legacyChat.cursorsOf('u_old2')).map((c) => c.id),
      [conversationId],
    );
  });
});
