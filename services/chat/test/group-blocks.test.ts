import type { Logger } from '@parley/service-kit';
import t from 'tap';
import type { Directory } from '../src/auth-client';
import { Conversations } from '../src/conversations/service';
import type { ChatEvents } from '../src/events';
import { openStore } from '../src/store';
import { connect, noPictures, startFerretDb, unrememberedMemberships } from './ferretdb';

/** Auth's blocks as chat sees them: a pair blocked either way, as `blockedAmong` answers. */
function blockingDirectory() {
  const blocks = new Set<string>();
  const directory: Directory = {
    requireUser: async () => {},
    blockedAmong: async (userId, others) =>
      new Set(others.filter((id) => blocks.has(`${userId}:${id}`) || blocks.has(`${id}:${userId}`))),
  };
  return {
    directory,
    block: (blockerId: string, blockedId: string) => blocks.add(`${blockerId}:${blockedId}`),
    unblock: (blockerId: string, blockedId: string) => blocks.delete(`${blockerId}:${blockedId}`),
  };
}

t.test('nobody puts into a group someone who blocked them or whom they blocked', async (t) => {
  const url = await startFerretDb(t);
  const store = await openStore((await connect(t, url)).db('parley_chat_group_blocks_test'));
  const added: string[] = [];
  const events = {
    member: async (kind: string, change: { userId: string }) => {
      if (kind === 'added') added.push(change.userId);
    },
    conversation: async () => {},
  } as unknown as ChatEvents;
  const { directory, block, unblock } = blockingDirectory();
  const chat = new Conversations({
    store,
    pictures: noPictures,
    memberships: unrememberedMemberships(store),
    directory,
    events,
    logger: {} as Logger,
  });
  const isMember = async (conversationId: string, userId: string) =>
    (await store.members.countDocuments({ conversationId, userId })) === 1;
  // Ann blocks Bob for each test, and lifts the block after it.
  t.beforeEach(() => {
    block('u_ann', 'u_bob');
    added.length = 0;
  });
  t.afterEach(() => {
    unblock('u_ann', 'u_bob');
  });

  await t.test(
    'a new group naming the blocker is refused as a whole, without saying who blocked',
    async (t) => {
      const groups = await store.conversations.countDocuments({});
      await t.rejects(chat.createGroup('u_bob', { name: 'trap', memberIds: ['u_cy', 'u_ann'] }, 'req-1'), {
        code: 'CHAT_USER_BLOCKED',
        status: 403,
        context: { userId: 'u_ann' },
      });
      t.equal(await store.conversations.countDocuments({}), groups, 'no group is made');
      t.same(added, [], 'nobody is announced');
    },
  );

  await t.test('the blocker cannot put the one they blocked into a new group either', async (t) => {
    await t.rejects(chat.createGroup('u_ann', { name: 'both ways', memberIds: ['u_bob'] }), {
      code: 'CHAT_USER_BLOCKED',
      context: { userId: 'u_bob' },
    });
  });

  await t.test('adding the blocker to a group is refused, with the other newcomers', async (t) => {
    const group = await chat.createGroup('u_bob', { name: 'bobs', memberIds: [] });
    await t.rejects(chat.addMembers('u_bob', group.id, ['u_cy', 'u_ann']), { code: 'CHAT_USER_BLOCKED' });
    t.equal(await isMember(group.id, 'u_ann'), false, 'the blocker is not added');
    t.equal(await isMember(group.id, 'u_cy'), false, 'the call is refused as a whole');
    t.same(added, ['u_bob'], 'only the group itself was announced');
  });

  await t.test('an accepted invite from the blocked inviter adds nobody', async (t) => {
    const group = await chat.createGroup('u_bob', { name: 'invited', memberIds: [] });
    await t.rejects(chat.addByInvite(group.id, { userId: 'u_ann', inviterId: 'u_bob', approverId: null }), {
      code: 'CHAT_USER_BLOCKED',
    });
    t.equal(await isMember(group.id, 'u_ann'), false);
  });

  await t.test('a third admin may add either of the pair, and groups shared before stay', async (t) => {
    unblock('u_ann', 'u_bob');
    const shared = await chat.createGroup('u_cy', { name: 'shared', memberIds: ['u_ann', 'u_bob'] });
    block('u_ann', 'u_bob');
    const group = await chat.createGroup('u_cy', { name: 'cys', memberIds: ['u_ann'] });
    await chat.addMembers('u_cy', group.id, ['u_bob']);
    t.equal(await isMember(group.id, 'u_bob'), true, 'a block between others is not told to the adder');
    t.equal(await isMember(shared.id, 'u_bob'), true, 'the group shared before the block keeps both');
    t.equal(await isMember(shared.id, 'u_ann'), true);
  });

  await t.test('once the block is lifted, all of it works again', async (t) => {
    unblock('u_ann', 'u_bob');
    const made = await chat.createGroup('u_bob', { name: 'friends again', memberIds: ['u_ann'] });
    t.equal(await isMember(made.id, 'u_ann'), true, 'a new group with the former blocker');
    const group = await chat.createGroup('u_bob', { name: 'later', memberIds: [] });
    await chat.addMembers('u_bob', group.id, ['u_ann']);
    t.equal(await isMember(group.id, 'u_ann'), true, 'added');
    const invited = await chat.createGroup('u_bob', { name: 'invite', memberIds: [] });
    const result = await chat.addByInvite(invited.id, {
      userId: 'u_ann',
      inviterId: 'u_bob',
      approverId: null,
    });
    t.same(result, { added: true, role: 'member' }, 'joined by invite');
  });
});
