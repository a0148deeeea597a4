import type { Logger } from '@parley/service-kit';
import t from 'tap';
import type { Directory } from '../src/auth-client';
import { Conversations, MAX_GROUP_MEMBERS } from '../src/conversations/service';
import type { ChatEvents } from '../src/events';
import { openStore } from '../src/store';
import { connect, memberDoc, noPictures, startFerretDb, unrememberedMemberships } from './ferretdb';

const directory: Directory = {
  requireUser: async () => {},
  blockedAmong: async () => new Set<string>(),
};

t.test('adding members repeated with its request id adds and announces each once', async (t) => {
  const url = await startFerretDb(t);
  const store = await openStore((await connect(t, url)).db('parley_chat_member_requests_test'));
  const added: string[] = [];
  const events = {
    member: async (kind: string, change: { userId: string }) => {
      if (kind === 'added') added.push(change.userId);
    },
    conversation: async () => {},
  } as unknown as ChatEvents;
  const chat = new Conversations({
    store,
    pictures: noPictures,
    memberships: unrememberedMemberships(store),
    directory,
    events,
    logger: {} as Logger,
  });
  const group = async (name: string) => (await chat.createGroup('u_ada', { name, memberIds: [] })).id;
  const isMember = async (conversationId: string, userId: string) =>
    (await store.members.countDocuments({ conversationId, userId })) === 1;

  await t.test('a repeat after the first finished adds nobody, even someone removed since', async (t) => {
    const id = await group('climbers');
    added.length = 0;
    const first = await chat.addMembers('u_ada', id, ['u_cy'], 'req-1');
    const again = await chat.addMembers('u_ada', id, ['u_cy'], 'req-1');
    t.same(again, first, 'the repeat answers as the first did');

    await chat.removeMember('u_ada', id, 'u_cy');
    await chat.addMembers('u_ada', id, ['u_cy'], 'req-1');
    t.equal(await isMember(id, 'u_cy'), false, 'the removal stands');
    t.same(added, ['u_cy'], 'announced once');
  });

  await t.test('repeats racing each other add each member once, and all answer', async (t) => {
    const id = await group('racers');
    added.length = 0;
    const tries = await Promise.all(
      Array.from({ length: 5 }, () => chat.addMembers('u_ada', id, ['u_dan', 'u_eve'], 'req-2')),
    );
    t.equal(tries.length, 5);
    t.same(added.sort(), ['u_dan', 'u_eve'], 'each announced once');
    t.equal(await store.members.countDocuments({ conversationId: id }), 3);
  });

  await t.test('a repeat that fills the group to the cap is answered, not refused as full', async (t) => {
    const id = await group('crowd');
    const fillers = Array.from({ length: MAX_GROUP_MEMBERS - 2 }, (_, i) => memberDoc(id, `u_filler${i}`));
    await store.members.insertMany(fillers);
    const first = await chat.addMembers('u_ada', id, ['u_last'], 'req-3');
    const again = await chat.addMembers('u_ada', id, ['u_last'], 'req-3');
    t.equal(again.id, first.id);
    await t.rejects(chat.addMembers('u_ada', id, ['u_late'], 'req-4'), { code: 'CHAT_GROUP_FULL' });
  });

  await t.test('another body or another caller with the same request id is another request', async (t) => {
    const id = await group('hikers');
    await chat.addMembers('u_ada', id, ['u_bob'], 'req-5');
    await chat.addMembers('u_ada', id, ['u_fay'], 'req-5');
    t.equal(await isMember(id, 'u_fay'), true, 'another body adds its members');
    await chat.setRole('u_ada', id, 'u_fay', 'admin');
    await chat.addMembers('u_fay', id, ['u_gus'], 'req-5');
    t.equal(await isMember(id, 'u_gus'), true, "another caller's request adds its members");
  });
});
