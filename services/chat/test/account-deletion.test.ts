import { type ChatMemberEvent, Topics } from '@parley/contracts';
import t from 'tap';
import { AccountDeletions } from '../src/conversations/account-deletion';
import { successorOf } from '../src/conversations/succession';
import { sidecarEvents } from '../src/events';
import { memberKey, openStore } from '../src/store';
import { chatServices } from './chat-services';
import { connect, startFerretDb } from './ferretdb';

t.test('the successor of a deleted owner', async (t) => {
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
  t.same(
    successorOf([
      { userId: 'u_eve', role: 'member', joinedAt: at(0) },
      { userId: 'u_dan', role: 'admin', joinedAt: at(9) },
      { userId: 'u_cy', role: 'admin', joinedAt: at(5) },
    ])?.userId,
    'u_cy',
    'the admin who joined first, before any member',
  );
  t.same(
    successorOf([
      { userId: 'u_eve', role: 'member', joinedAt: at(3) },
      { userId: 'u_dan', role: 'member', joinedAt: at(1) },
    ])?.userId,
    'u_dan',
    'without admins, the member who joined first',
  );
  t.same(
    successorOf([
      { userId: 'u_fay', role: 'member', joinedAt: at(1) },
      { userId: 'u_bob', role: 'member', joinedAt: at(1) },
    ])?.userId,
    'u_bob',
    'founders who joined together, by user id',
  );
  t.equal(successorOf([]), null, 'nobody left');
});

t.test('a deleted account leaves every conversation it was in', async (t) => {
  const url = await startFerretDb(t);
  const store = await openStore((await connect(t, url)).db('parley_chat_account_deletion_test'));
  /** What the sidecar was handed, by event id; a publish fails while `failing` says so. */
  const published: { topic: string; data: ChatMemberEvent; eventId: string }[] = [];
  let failing: ((data: ChatMemberEvent) => boolean) | null = null;
  const events = sidecarEvents({
    publish: async (topic, data, eventId) => {
      if (topic === Topics.chatMemberRemoved && failing?.(data as ChatMemberEvent)) {
        throw new Error('the sidecar is away');
      }
      published.push({ topic, data: data as ChatMemberEvent, eventId });
    },
  });
  const { chat, messages, receipts } = chatServices(store, events);
  const deletions = new AccountDeletions(store, chat);
  t.afterEach(() => {
    failing = null;
    published.length = 0;
  });

  const removals = () =>
    published
      .filter((p) => p.topic === Topics.chatMemberRemoved)
      .map((p) => `${p.data.conversationId} ${p.data.userId} by ${p.data.actorId} as ${p.data.role}`);
  const roles = async (conversationId: string) => {
    const members = await store.members.find({ conversationId }).sort({ userId: 1 }).toArray();
    return Object.fromEntries(members.map((m) => [m.userId, m.role]));
  };
  const joinedAt = (conversationId: string, userId: string, minute: number) =>
    store.members.updateOne(
      { _id: memberKey(conversationId, userId) },
      { $set: { joinedAt: new Date(Date.UTC(2026, 0, 1, 0, minute)) } },
    );
  let sent = 0;
  const send = (from: string, conversationId: string) =>
    messages.send(from, conversationId, { clientMessageId: `client-${++sent}`, text: 'hello' });

  await t.test('a group it owned passes to the admin who joined first', async (t) => {
    const group = await chat.createGroup('u_ann', { name: 'club', memberIds: ['u_bob', 'u_cy', 'u_dan'] });
    await chat.setRole('u_ann', group.id, 'u_dan', 'admin');
    await chat.setRole('u_ann', group.id, 'u_cy', 'admin');
    await joinedAt(group.id, 'u_dan', 2);
    await joinedAt(group.id, 'u_cy', 1);
    await joinedAt(group.id, 'u_bob', 0);
    published.length = 0;

    await deletions.accountDeleted('u_ann', new Date());

    t.same(await roles(group.id), { u_bob: 'member', u_cy: 'owner', u_dan: 'admin' });
    t.same(removals(), [`${group.id} u_ann by u_ann as owner`], 'announced as leaving');
    t.notOk((await chat.get('u_cy', group.id)).members?.some((m) => m.userId === 'u_ann'));
    t.same(await chat.conversationIdsOf('u_ann'), [], 'no conversation lists the account');
    await t.rejects(chat.get('u_ann', group.id), { code: 'CHAT_CONVERSATION_NOT_FOUND' });
    // The new owner runs the group: removes a member, hands ownership on.
    await chat.removeMember('u_cy', group.id, 'u_dan');
    await chat.transferOwnership('u_cy', group.id, 'u_bob');
    t.same(await roles(group.id), { u_bob: 'owner', u_cy: 'admin' });
  });

  await t.test('without admins, the member who joined first owns the group', async (t) => {
    const group = await chat.createGroup('u_gus', { name: 'no admins', memberIds: ['u_hal'] });
    await chat.addMembers('u_gus', group.id, ['u_ida']);
    await joinedAt(group.id, 'u_ida', 0);
    await joinedAt(group.id, 'u_hal', 5);

    await deletions.accountDeleted('u_gus', new Date());

    t.same(await roles(group.id), { u_hal: 'member', u_ida: 'owner' });
  });

  await t.test('receipts no longer count the deleted account', async (t) => {
    const group = await chat.createGroup('u_jo', { name: 'readers', memberIds: ['u_kim', 'u_lee'] });
    const { message } = await send('u_kim', group.id);
    t.equal((await receipts.summary('u_kim', message.id)).of, 2);

    await deletions.accountDeleted('u_lee', new Date());

    const summary = await receipts.summary('u_kim', message.id);
    t.equal(summary.of, 1, 'read by 0 of 1: only Jo can read it');
  });

  await t.test('no read cursors of the deleted account are kept, of any membership', async (t) => {
    const left = await chat.createGroup('u_ned', { name: 'left earlier', memberIds: ['u_ora', 'u_pia'] });
    const current = await chat.createGroup('u_ned', { name: 'current', memberIds: ['u_ora'] });
    await send('u_ned', left.id);
    await chat.removeMember('u_ned', left.id, 'u_ora');
    await chat.removeMember('u_ned', left.id, 'u_pia');
    await send('u_ned', current.id);
    await receipts.mark('u_ora', current.id, 'read', 1, 'phone');
    t.ok(await store.formerMembers.findOne({ _id: memberKey(left.id, 'u_ora') }), 'a removal keeps them');

    await deletions.accountDeleted('u_ora', new Date());

    for (const id of [left.id, current.id]) {
      t.equal(await store.formerMembers.findOne({ _id: memberKey(id, 'u_ora') }), null, id);
    }
    t.ok(await store.formerMembers.findOne({ _id: memberKey(left.id, 'u_pia') }), "others' are kept");
  });

  await t.test('a group it was alone in is left with no members', async (t) => {
    const group = await chat.createGroup('u_max', { name: 'solo', memberIds: [] });

    await deletions.accountDeleted('u_max', new Date());

    t.equal(await store.members.countDocuments({ conversationId: group.id }), 0);
    t.ok(
      await store.conversations.findOne({ _id: group.id }),
      'the group stays, as when its last member leaves',
    );
  });

  await t.test('a direct conversation keeps its history and refuses sends', async (t) => {
    const { view } = await chat.openDirect('u_ned', 'u_oli');
    await send('u_oli', view.id);

    await deletions.accountDeleted('u_oli', new Date());

    await t.rejects(send('u_ned', view.id), { code: 'CHAT_PEER_DELETED', status: 409 });
    const history = await messages.history('u_ned', view.id, { limit: 10 });
    t.same(
      history.items.map((m) => m.text),
      ['hello'],
      'the history stays readable',
    );
    const listed = await chat.list('u_ned', { limit: 10 });
    t.ok(
      listed.items.some((c) => c.id === view.id),
      'the conversation stays in the list',
    );
    t.same(
      (await chat.get('u_ned', view.id)).members?.map((m) => m.userId),
      ['u_ned'],
    );
    await t.rejects(send('u_oli', view.id), { code: 'CHAT_CONVERSATION_NOT_FOUND' });
  });

  await t.test('a redelivered event changes nothing and announces nothing new', async (t) => {
    const group = await chat.createGroup('u_pat', { name: 'twice', memberIds: ['u_quin', 'u_rae'] });
    await chat.setRole('u_pat', group.id, 'u_rae', 'admin');
    await deletions.accountDeleted('u_pat', new Date());
    const first = published.map((p) => p.eventId);
    await chat.transferOwnership('u_rae', group.id, 'u_quin');

    await deletions.accountDeleted('u_pat', new Date());

    t.same(
      published.map((p) => p.eventId),
      first,
      'no event published again once the first run finished',
    );
    t.same(await roles(group.id), { u_quin: 'owner', u_rae: 'admin' }, 'the owner chosen since stays');
  });

  await t.test('a run that stopped half-way is finished by the redelivery', async (t) => {
    const first = await chat.createGroup('u_sam', { name: 'first', memberIds: ['u_tia'] });
    const second = await chat.createGroup('u_uma', { name: 'second', memberIds: ['u_sam', 'u_vic'] });
    const third = await chat.createGroup('u_sam', { name: 'third', memberIds: ['u_wes'] });
    await chat.setRole('u_sam', third.id, 'u_wes', 'admin');
    published.length = 0;
    // The sidecar goes away after the first removal: the second membership is deleted, but its
    // event is lost with the run, and the third is not reached.
    failing = (data) => data.conversationId !== first.id;

    await t.rejects(deletions.accountDeleted('u_sam', new Date()), /the sidecar is away/);
    t.notOk(
      await store.members.findOne({ _id: memberKey(second.id, 'u_sam') }),
      'the second membership went before its announcement failed',
    );
    t.ok(await store.members.findOne({ _id: memberKey(third.id, 'u_sam') }), 'the third is still there');
    const announcedBefore = published
      .filter((p) => p.topic === Topics.chatMemberRemoved)
      .map((p) => p.eventId);
    failing = null;

    await deletions.accountDeleted('u_sam', new Date());

    const all = published.filter((p) => p.topic === Topics.chatMemberRemoved);
    t.same(
      [...new Set(all.map((p) => p.data.conversationId))].sort(),
      [first.id, second.id, third.id].sort(),
      'every removal is announced, the lost one too',
    );
    t.equal(
      new Set(all.map((p) => p.eventId)).size,
      3,
      'an announcement made again carries the id of the first, so consumers apply it once',
    );
    t.ok(announcedBefore.every((id) => all.filter((p) => p.eventId === id).length >= 1));
    t.same(await roles(first.id), { u_tia: 'owner' });
    t.same(await roles(second.id), { u_uma: 'owner', u_vic: 'member' });
    t.same(await roles(third.id), { u_wes: 'owner' });
    t.same(await chat.conversationIdsOf('u_sam'), []);
  });

  await t.test('a run that stopped after handing a group over keeps the new owner', async (t) => {
    const group = await chat.createGroup('u_xan', { name: 'handed', memberIds: ['u_yul', 'u_zed'] });
    await joinedAt(group.id, 'u_zed', 0);
    await joinedAt(group.id, 'u_yul', 1);
    published.length = 0;
    // The run stops between handing the group over and removing the owner.
    const remove = store.members.findOneAndDelete.bind(store.members);
    store.members.findOneAndDelete = (async () => {
      throw new Error('the database is away');
    }) as unknown as typeof store.members.findOneAndDelete;
    t.teardown(() => {
      store.members.findOneAndDelete = remove;
    });
    await t.rejects(deletions.accountDeleted('u_xan', new Date()), /the database is away/);
    store.members.findOneAndDelete = remove;
    t.same(await roles(group.id), { u_xan: 'owner', u_yul: 'member', u_zed: 'owner' });
    // Yul now counts as the earlier member; the owner chosen first stays all the same.
    await joinedAt(group.id, 'u_yul', -5);

    await deletions.accountDeleted('u_xan', new Date());

    t.same(await roles(group.id), { u_yul: 'member', u_zed: 'owner' }, 'one owner, the one chosen first');
    t.same(removals(), [`${group.id} u_xan by u_xan as owner`]);
  });
});
