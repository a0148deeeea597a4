import { type ChatMemberEvent, messageIdFor } from '@parley/contracts';
import type { CommandStartedEvent } from 'mongodb';
import t, { type Test } from 'tap';
import { ABSENCES_KEPT } from '../src/conversations/absences';
import type { ChatEvents } from '../src/events';
import { type ChatStore, memberKey, openStore } from '../src/store';
import { chatServices } from './chat-services';
import { connect, startFerretDb } from './ferretdb';

/** The filters of the commands on one collection. */
function filtersOn(commands: CommandStartedEvent[], collection: string): object[] {
  return commands.flatMap(({ command }) => {
    if (command.find === collection) return [command.filter as object];
    if (command.findAndModify === collection) return [command.query as object];
    if (command.update === collection) return (command.updates as { q: object }[]).map((u) => u.q);
    if (command.delete === collection) return (command.deletes as { q: object }[]).map((d) => d.q);
    return [];
  });
}

/** The highest message number stored, read in one query: anything stored after it is numbered above. */
async function highestStored(store: ChatStore, conversationId: string): Promise<number> {
  const [newest] = await store.messages.find({ conversationId }).sort({ seq: -1 }).limit(1).toArray();
  return newest?.seq ?? 0;
}

t.test('unread counts and read cursors of members who join or come back', async (t) => {
  const url = await startFerretDb(t);
  const client = await connect(t, url);
  const commands: CommandStartedEvent[] = [];
  client.on('commandStarted', (event) => commands.push(event));
  const store = await openStore(client.db('parley_chat_join_unread_test'));
  /** Runs as soon as a membership is stored, before anything else the add that stores it does. */
  let onAdded: (userId: string) => Promise<void> = async () => {};
  const insertMember = store.members.insertOne.bind(store.members);
  store.members.insertOne = (async (...args: Parameters<typeof insertMember>) => {
    const result = await insertMember(...args);
    await onAdded(args[0].userId);
    return result;
  }) as typeof store.members.insertOne;
  /** The member events published, in order. */
  const memberEvents: (ChatMemberEvent & { kind: string })[] = [];
  const events = {
    member: async (kind: string, data: ChatMemberEvent) => {
      memberEvents.push({ kind, ...data });
    },
    message: async () => {},
    receipt: async () => {},
    conversation: async () => {},
  } as unknown as ChatEvents;
  const { chat, messages, receipts } = chatServices(store, events);
  t.teardown(() => {
    onAdded = async () => {};
  });

  let sent = 0;
  const send = (conversationId: string, from = 'u_ada') =>
    messages.send(from, conversationId, { clientMessageId: `client-${++sent}`, text: 'hello' });
  /** A group of Ada and Bob with seven messages of Ada's, and Cy added after them. */
  const groupWithHistory = async (name: string) => {
    const { id } = await chat.createGroup('u_ada', { name, memberIds: ['u_bob'] });
    for (let i = 0; i < 7; i++) await send(id);
    await chat.addMembers('u_ada', id, ['u_cy']);
    return id;
  };
  const listed = async (userId: string, conversationId: string) => {
    const { items } = await chat.list(userId, { limit: 50 });
    const item = items.find((c) => c.id === conversationId);
    if (!item) throw new Error(`${conversationId} is not in the list of ${userId}`);
    return item;
  };
  /** What Cy sees of the conversation, in the list and alone: both must agree. */
  const seenByCy = async (t: Test, conversationId: string) => {
    const [inList, alone] = await Promise.all([
      listed('u_cy', conversationId),
      chat.get('u_cy', conversationId),
    ]);
    const shown = { unreadCount: inList.unreadCount, readSeq: inList.me.readSeq, lastSeq: inList.lastSeq };
    t.same(
      { unreadCount: alone.unreadCount, readSeq: alone.me.readSeq, lastSeq: alone.lastSeq },
      shown,
      'the list and the conversation agree',
    );
    return shown;
  };

  for (const [how, remove] of [
    ['removed by an admin', (id: string) => chat.removeMember('u_ada', id, 'u_cy')],
    ['leaving', (id: string) => chat.removeMember('u_cy', id, 'u_cy')],
  ] as const) {
    await t.test(`a member ${how} and added back keeps what they read`, async (t) => {
      const id = await groupWithHistory(`back after ${how}`);
      await receipts.mark('u_cy', id, 'read', 7, 'phone');
      t.same(await seenByCy(t, id), { unreadCount: 0, readSeq: 7, lastSeq: 7 });

      const from = commands.length;
      await remove(id);
      await chat.addMembers('u_ada', id, ['u_cy']);
      const formerFilters = filtersOn(commands.slice(from), 'former_members');
      t.ok(formerFilters.length >= 2, 'kept on removal, read on return');
      t.same(
        formerFilters.filter((f) => Object.keys(f).join() !== '_id'),
        [],
        'former memberships are read and written by _id alone',
      );
      t.same(await seenByCy(t, id), { unreadCount: 0, readSeq: 7, lastSeq: 7 }, 'nothing read turns unread');
      const seventh = await receipts.summary('u_ada', messageIdFor(id, 7));
      t.ok(
        seventh.readBy.some((r) => r.userId === 'u_cy'),
        'still among those who read what they read',
      );
      t.ok(seventh.deliveredTo.includes('u_cy'), 'and among those it was delivered to');

      await send(id);
      t.equal((await seenByCy(t, id)).unreadCount, 1, 'a message after the return counts');
    });
  }

  await t.test('a member who left and comes back by invite keeps what they read', async (t) => {
    const id = await groupWithHistory('back by invite');
    await send(id);
    await send(id);
    await receipts.mark('u_cy', id, 'read', 8, 'phone');
    await chat.removeMember('u_cy', id, 'u_cy');
    await send(id);
    const back = await chat.addByInvite(id, { userId: 'u_cy', inviterId: 'u_ada', approverId: null });
    t.equal(back.added, true);
    t.same(
      await seenByCy(t, id),
      { unreadCount: 1, readSeq: 8, lastSeq: 10 },
      'the ninth, which they left unread, is unread still; the tenth came while they were away',
    );
  });

  await t.test('what was sent while a member was away is not unread when they come back', async (t) => {
    const id = await groupWithHistory('away');
    for (let i = 0; i < 3; i++) await send(id);
    await receipts.mark('u_cy', id, 'read', 8, 'phone');
    await chat.removeMember('u_ada', id, 'u_cy');
    await send(id);
    await send(id);
    await chat.addMembers('u_ada', id, ['u_cy']);
    t.same(
      await seenByCy(t, id),
      { unreadCount: 2, readSeq: 8, lastSeq: 12 },
      'the ninth and tenth, left unread, count; the eleventh and twelfth, sent while away, do not',
    );
    const { me } = await chat.get('u_cy', id);
    t.match(
      me,
      { readSeq: 8, leftSeq: 10, joinSeq: 12, absences: [{ from: 10, to: 12 }] },
      'the view holds what a client needs to count alike',
    );
    const eleventh = await receipts.summary('u_ada', messageIdFor(id, 11));
    t.notOk(
      eleventh.readBy.some((r) => r.userId === 'u_cy'),
      'not among the readers of what they never read',
    );
    t.same(eleventh.of, 1, 'nor among those it was sent to');

    await receipts.mark('u_cy', id, 'read', 9, 'phone');
    t.equal((await seenByCy(t, id)).unreadCount, 1, 'reading one of those left unread leaves the other');
    await receipts.mark('u_cy', id, 'read', 12, 'phone');
    t.equal((await seenByCy(t, id)).unreadCount, 0, 'reading to the end leaves nothing');
    await send(id);
    t.equal((await seenByCy(t, id)).unreadCount, 1, 'and a new message counts');
  });

  /** Cy out and back: what is sent in between (`away` messages) came while they were away. */
  const awayAndBack = async (id: string, away: number) => {
    await chat.removeMember('u_ada', id, 'u_cy');
    for (let i = 0; i < away; i++) await send(id);
    await chat.addMembers('u_ada', id, ['u_cy']);
  };

  await t.test('a member out and back twice counts only what came while they were in', async (t) => {
    const id = await groupWithHistory('twice away');
    await send(id);
    await receipts.mark('u_cy', id, 'read', 8, 'phone');
    await send(id);
    await send(id);
    await awayAndBack(id, 2);
    await send(id);
    await awayAndBack(id, 2);
    await send(id);
    t.same(
      await seenByCy(t, id),
      { unreadCount: 4, readSeq: 8, lastSeq: 16 },
      'the 9th, 10th, 13th and 16th; not the 11th, 12th, 14th or 15th, sent while away',
    );
    const { me } = await chat.get('u_cy', id);
    t.match(
      me,
      {
        readSeq: 8,
        joinSeq: 15,
        absences: [
          { from: 10, to: 12 },
          { from: 13, to: 15 },
        ],
      },
      'the view holds each absence, so a client counts alike',
    );

    await awayAndBack(id, 1);
    t.equal((await seenByCy(t, id)).unreadCount, 4, 'a third absence adds nothing either');
    await receipts.mark('u_cy', id, 'read', 17, 'phone');
    t.equal((await seenByCy(t, id)).unreadCount, 0, 'reading to the end leaves nothing');
    t.same((await chat.get('u_cy', id)).me.absences, [], 'absences behind the cursor are dropped');
    await awayAndBack(id, 1);
    await send(id);
    t.same(await seenByCy(t, id), { unreadCount: 1, readSeq: 17, lastSeq: 19 });
  });

  await t.test('a member who reads part of what they left unread, then is out again', async (t) => {
    const id = await groupWithHistory('read partway');
    await send(id);
    await receipts.mark('u_cy', id, 'read', 8, 'phone');
    await send(id);
    await send(id);
    await awayAndBack(id, 2);
    await receipts.mark('u_cy', id, 'read', 9, 'phone');
    await send(id);
    await awayAndBack(id, 2);
    await send(id);
    t.same(
      await seenByCy(t, id),
      { unreadCount: 3, readSeq: 9, lastSeq: 16 },
      'the 10th, 13th and 16th are unread',
    );
    await receipts.mark('u_cy', id, 'read', 12, 'phone');
    t.equal(
      (await seenByCy(t, id)).unreadCount,
      2,
      'reading past the first absence leaves the 13th and 16th',
    );
    await receipts.mark('u_cy', id, 'read', 14, 'phone');
    t.equal((await seenByCy(t, id)).unreadCount, 1, 'inside the second absence: the 16th');
  });

  await t.test('what came before a first joining stays out of the count after a return', async (t) => {
    const id = await groupWithHistory('late joiner back');
    await send(id);
    await awayAndBack(id, 1);
    t.same(
      await seenByCy(t, id),
      { unreadCount: 1, readSeq: 0, lastSeq: 9 },
      'the 8th, sent while they were in; not the seven before they joined',
    );
    await receipts.mark('u_cy', id, 'read', 5, 'phone');
    await awayAndBack(id, 1);
    t.same(
      await seenByCy(t, id),
      { unreadCount: 1, readSeq: 5, lastSeq: 10 },
      'nor the 6th and 7th, below a cursor they moved into the history',
    );
  });

  await t.test(
    'a membership and a former record stored with only leftSeq count as one absence',
    async (t) => {
      const id = await groupWithHistory('older absence');
      for (let i = 0; i < 3; i++) await send(id);
      await receipts.mark('u_cy', id, 'read', 8, 'phone');
      await chat.removeMember('u_ada', id, 'u_cy');
      await store.formerMembers.updateOne({ _id: memberKey(id, 'u_cy') }, { $unset: { absences: '' } });
      await send(id);
      await send(id);
      await chat.addMembers('u_ada', id, ['u_cy']);
      await store.members.updateOne({ _id: memberKey(id, 'u_cy') }, { $unset: { absences: '' } });
      t.same(await seenByCy(t, id), { unreadCount: 2, readSeq: 8, lastSeq: 12 }, 'the ninth and tenth');
      t.match((await chat.get('u_cy', id)).me, { leftSeq: 10, absences: [{ from: 10, to: 12 }] });
    },
  );

  await t.test('past twenty absences the oldest merge, and nothing sent while away counts', async (t) => {
    const { id } = await chat.createGroup('u_ada', { name: 'often away', memberIds: ['u_bob', 'u_cy'] });
    // Each round: one message while Cy is in, one while away.
    for (let round = 0; round < 35; round++) {
      await send(id);
      await awayAndBack(id, 1);
    }
    t.same(
      await seenByCy(t, id),
      { unreadCount: ABSENCES_KEPT, readSeq: 0, lastSeq: 70 },
      'what they left unread between the merged absences stops counting',
    );
    t.equal((await chat.get('u_cy', id)).me.absences.length, ABSENCES_KEPT);
    const former = await store.formerMembers.findOne({ _id: memberKey(id, 'u_cy') });
    t.ok((former?.absences ?? []).length <= 2 * ABSENCES_KEPT, 'the former record is trimmed too');
    await receipts.mark('u_cy', id, 'read', 69, 'phone');
    t.equal((await seenByCy(t, id)).unreadCount, 0, 'the last came while away');
  });

  await t.test('a new member of a group with history has nothing unread until a message comes', async (t) => {
    const id = await groupWithHistory('newcomer');
    t.same(await seenByCy(t, id), { unreadCount: 0, readSeq: 0, lastSeq: 7 });
    t.equal((await chat.get('u_cy', id)).me.joinSeq, 7, 'the view says where their unread starts');
    t.same(
      (await chat.get('u_ada', id)).members,
      [
        { userId: 'u_ada', role: 'owner', joinSeq: 0 },
        { userId: 'u_bob', role: 'member', joinSeq: 0 },
        { userId: 'u_cy', role: 'member', joinSeq: 7 },
      ],
      'so does the member list, as any member sees it',
    );
    t.same(
      memberEvents.filter((e) => e.conversationId === id).map((e) => [e.kind, e.userId, e.joinSeq]),
      [
        ['added', 'u_ada', 0],
        ['added', 'u_bob', 0],
        ['added', 'u_cy', 7],
      ],
      'as does the event that announced each addition',
    );
    const third = await receipts.summary('u_ada', messageIdFor(id, 3));
    t.same(
      { of: third.of, readers: third.readBy.map((r) => r.userId) },
      { of: 1, readers: [] },
      'the history is not shown as read by them, nor as sent to them',
    );
    t.same(
      (await messages.history('u_cy', id, { limit: 50 })).items.map((m) => m.seq),
      [1, 2, 3, 4, 5, 6, 7],
      'the history is theirs to read',
    );

    await send(id);
    t.same(await seenByCy(t, id), { unreadCount: 1, readSeq: 0, lastSeq: 8 }, 'one message after joining');
    t.equal((await receipts.summary('u_ada', messageIdFor(id, 8))).of, 2, 'sent to them too');
    await receipts.mark('u_cy', id, 'read', 8, 'phone');
    t.same(await seenByCy(t, id), { unreadCount: 0, readSeq: 8, lastSeq: 8 });
  });

  await t.test('a group too large to read member by member lists join numbers too', async (t) => {
    const crowd = Array.from({ length: 60 }, (_, i) => `u_crowd_${String(i).padStart(2, '0')}`);
    const { id } = await chat.createGroup('u_ada', { name: 'crowd', memberIds: crowd });
    for (let i = 0; i < 3; i++) await send(id);
    await chat.addMembers('u_ada', id, ['u_cy']);
    const members = (await chat.get('u_crowd_00', id)).members ?? [];
    t.equal(members.length, 62);
    t.same(
      members.find((m) => m.userId === 'u_cy'),
      { userId: 'u_cy', role: 'member', joinSeq: 3 },
    );
    t.same(
      members.find((m) => m.userId === 'u_crowd_00'),
      { userId: 'u_crowd_00', role: 'member', joinSeq: 0 },
    );
  });

  await t.test('a membership stored before join numbers were kept counts from its read cursor', async (t) => {
    const id = await groupWithHistory('older membership');
    await store.members.updateOne({ _id: memberKey(id, 'u_cy') }, { $unset: { joinSeq: '' } });
    t.same(await seenByCy(t, id), { unreadCount: 7, readSeq: 0, lastSeq: 7 });
    t.equal((await chat.get('u_cy', id)).me.joinSeq, 0);
    await receipts.mark('u_cy', id, 'read', 6, 'phone');
    t.equal((await seenByCy(t, id)).unreadCount, 1);
  });

  await t.test(
    'a message stored once the membership is in counts, however late lastSeq follows',
    async (t) => {
      const { id } = await chat.createGroup('u_ada', { name: 'racing one', memberIds: ['u_bob'] });
      for (let i = 0; i < 7; i++) await send(id);
      // Sent after Cy's membership is stored, before the add answers.
      onAdded = async (userId) => {
        if (userId === 'u_cy') await send(id);
      };
      await chat.addMembers('u_ada', id, ['u_cy']);
      onAdded = async () => {};
      t.same(await seenByCy(t, id), { unreadCount: 1, readSeq: 0, lastSeq: 8 });
    },
  );

  await t.test('messages racing an add are never under-counted', async (t) => {
    for (let round = 0; round < 5; round++) {
      const { id } = await chat.createGroup('u_ada', { name: `race ${round}`, memberIds: ['u_bob'] });
      for (let i = 0; i < 7; i++) await send(id);
      // Every message numbered above what is stored once Cy's membership is in came after it.
      let storedAtJoin = Number.POSITIVE_INFINITY;
      onAdded = async (userId) => {
        if (userId === 'u_cy') storedAtJoin = await highestStored(store, id);
      };
      // One after another, from Ada and Bob, so that the sends spread over the whole add.
      const adding = chat.addMembers('u_ada', id, ['u_cy']);
      await new Promise((resolve) => setTimeout(resolve, round));
      for (let i = 0; i < 6; i++) await send(id, i % 2 ? 'u_ada' : 'u_bob');
      await adding;
      onAdded = async () => {};
      const { unreadCount, lastSeq } = await seenByCy(t, id);
      t.equal(lastSeq, 13);
      t.ok(
        (unreadCount ?? 0) >= lastSeq - storedAtJoin,
        `round ${round}: ${unreadCount} unread, ${lastSeq - storedAtJoin} sent after the join`,
      );
      t.ok((unreadCount ?? 0) <= 6, `round ${round}: the seven before the add are not unread`);
    }
  });
});
