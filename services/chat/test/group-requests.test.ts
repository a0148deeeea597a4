import t from 'tap';
import type { Logger } from '@parley/service-kit';
import type { Directory } from '../src/auth-client';
import { ABANDONED_CLAIM_MS } from '../src/conversations/group-requests';
import { REQUEST_CLAIM_KEPT_MS, deleteOldRequestClaims } from '../src/conversations/request-sweep';
import { Conversations } from '../src/conversations/service';
import type { ChatEvents } from '../src/events';
import type { GroupPictures } from '../src/media/media-client';
import { memberKey, openStore } from '../src/store';
import { connect, noPictures, startFerretDb, unrememberedMemberships } from './ferretdb';

const directory: Directory = {
  requireUser: async () => {},
  blockedAmong: async () => new Set<string>(),
};
const events = { member: async () => {}, conversation: async () => {} } as unknown as ChatEvents;

t.test('a group creation repeated with its request id makes one group', async (t) => {
  const url = await startFerretDb(t);
  const store = await openStore((await connect(t, url)).db('parley_chat_group_requests_test'));
  const chatWith = (pictures: GroupPictures) =>
    new Conversations({
      store,
      pictures,
      memberships: unrememberedMemberships(store),
      directory,
      events,
      logger: {} as Logger,
    });
  const chat = chatWith(noPictures);
  const groupsOf = async (name: string) => store.conversations.countDocuments({ name });

  await t.test('the same request again answers the group its first try made', async (t) => {
    const first = await chat.createGroup('u_ada', { name: 'climbers', memberIds: ['u_bob'] }, 'req-1');
    const again = await chat.createGroup('u_ada', { name: 'climbers', memberIds: ['u_bob'] }, 'req-1');
    t.equal(again.id, first.id);
    t.equal(await groupsOf('climbers'), 1);
  });

  await t.test('tries racing each other make one group, and every try answers it', async (t) => {
    const tries = await Promise.all(
      Array.from({ length: 5 }, () => chat.createGroup('u_ada', { name: 'racers', memberIds: [] }, 'req-2')),
    );
    t.equal(new Set(tries.map((g) => g.id)).size, 1);
    t.equal(await groupsOf('racers'), 1);
  });

  await t.test('another request, another body or another user makes another group', async (t) => {
    await chat.createGroup('u_ada', { name: 'climbers', memberIds: ['u_bob'] }, 'req-3');
    await chat.createGroup('u_ada', { name: 'hikers', memberIds: [] }, 'req-1');
    await chat.createGroup('u_bob', { name: 'climbers', memberIds: ['u_ada'] }, 'req-1');
    await chat.createGroup('u_ada', { name: 'climbers', memberIds: ['u_bob'] });
    t.equal(await groupsOf('climbers'), 4);
    t.equal(await groupsOf('hikers'), 1);
  });

  await t.test('a try that failed leaves the request free for the next', async (t) => {
    let refuse = true;
    const flaky = chatWith({
      set: async () => {
        if (refuse) throw new Error('media away');
        return 'ready';
      },
      clear: async () => {},
    });
    const input = { name: 'painters', memberIds: [], avatarMediaId: 'md_111111111111111111111111' };
    await t.rejects(flaky.createGroup('u_ada', input, 'req-4'), /media away/);
    t.equal(await groupsOf('painters'), 0);
    refuse = false;
    const made = await flaky.createGroup('u_ada', input, 'req-4');
    t.equal(made.name, 'painters');
    t.equal(await groupsOf('painters'), 1);
  });

  await t.test('a repeat adds the members a dead first try left out, and only then', async (t) => {
    const input = { name: 'half-made', memberIds: ['u_bob', 'u_cy'] };
    const first = await chat.createGroup('u_ada', input, 'req-6');
    // As if that try died after adding Bob and before adding Cy.
    await store.members.deleteOne({ _id: memberKey(first.id, 'u_cy') });
    await store.groupRequests.updateOne({ _id: 'u_ada:req-6' }, { $unset: { done: '' } });
    const again = await chat.createGroup('u_ada', input, 'req-6');
    t.equal(again.id, first.id);
    t.ok(await store.members.findOne({ _id: memberKey(first.id, 'u_cy') }), 'Cy is in after the repeat');

    // Once whole, a late repeat adds nobody, not even a member removed since.
    await store.members.deleteOne({ _id: memberKey(first.id, 'u_cy') });
    await chat.createGroup('u_ada', input, 'req-6');
    t.equal(await store.members.findOne({ _id: memberKey(first.id, 'u_cy') }), null, 'Cy stays removed');
  });

  await t.test('a claim whose try died is taken over once it is old, by one repeat', async (t) => {
    // Several rounds: the repeats race each other to take the claim over.
    for (let round = 0; round < 12; round++) {
      const input = { name: `orphans-${round}`, memberIds: [] };
      const first = await chat.createGroup('u_ada', input, `req-5-${round}`);
      // As if that try died after its claim and before storing the group, two minutes ago and more.
      await store.conversations.deleteOne({ _id: first.id });
      await store.groupRequests.updateOne(
        { _id: `u_ada:req-5-${round}` },
        { $set: { at: new Date(Date.now() - ABANDONED_CLAIM_MS - 1_000) } },
      );
      const tries = await Promise.all(
        Array.from({ length: 3 }, () => chat.createGroup('u_ada', input, `req-5-${round}`)),
      );
      const made = new Set(tries.map((g) => g.id));
      if (made.size !== 1 || (await groupsOf(input.name)) !== 1) {
        t.fail(`round ${round}: ${made.size} groups answered, ${await groupsOf(input.name)} stored`);
        return;
      }
      t.not(tries[0]?.id, first.id);
    }
    t.pass('every round made one group, which every repeat answered');
  });
});

t.test('claims older than a day are swept', async (t) => {
  const url = await startFerretDb(t);
  const store = await openStore((await connect(t, url)).db('parley_chat_request_sweep_test'));
  const now = new Date();
  const old = new Date(now.getTime() - REQUEST_CLAIM_KEPT_MS - 1_000);
  await store.groupRequests.insertMany([
    { _id: 'u:old', conversationId: 'c_1', fingerprint: 'f', at: old },
    { _id: 'u:new', conversationId: 'c_2', fingerprint: 'f', at: now },
  ]);
  await store.memberRequests.insertMany([
    { _id: 'u:old', fingerprint: 'f', done: true, at: old },
    { _id: 'u:new', fingerprint: 'f', done: false, at: now },
  ]);
  t.equal(await deleteOldRequestClaims(store, now), 2);
  t.same(
    (await store.groupRequests.find().toArray()).map((d) => d._id),
    ['u:new'],
  );
  t.same(
    (await store.memberRequests.find().toArray()).map((d) => d._id),
    ['u:new'],
  );
});
