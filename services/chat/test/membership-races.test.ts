import { Topics } from '@parley/contracts';
import t, { type Test } from 'tap';
import { AccountDeletions } from '../src/conversations/account-deletion';
import { sidecarEvents } from '../src/events';
import { type ChatStore, memberKey, openStore } from '../src/store';
import { chatServices } from './chat-services';
import { connect, startFerretDb } from './ferretdb';

/** A gate: `reached` settles when a held call gets there, which then waits for `release`. */
function gate() {
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return { reached, release, pass: async () => (reach(), released) };
}

/** Holds the delete of one membership (after its removal read it) until released. */
function holdDelete(t: Test, store: ChatStore, key: string) {
  const held = gate();
  const remove = store.members.findOneAndDelete.bind(store.members);
  store.members.findOneAndDelete = (async (filter: { _id: string }, ...rest: unknown[]) => {
    if (filter._id === key) await held.pass();
    return (remove as (...a: unknown[]) => unknown)(filter, ...rest);
  }) as unknown as typeof store.members.findOneAndDelete;
  t.teardown(() => {
    store.members.findOneAndDelete = remove;
  });
  return held;
}

t.test('memberships ending at the same moment', async (t) => {
  const url = await startFerretDb(t);
  const store = await openStore((await connect(t, url)).db('parley_chat_membership_races'));
  const published: { topic: string; conversationId?: string; userId?: string }[] = [];
  const events = sidecarEvents({
    publish: async (topic, data) => {
      published.push({ topic, ...(data as { conversationId?: string; userId?: string }) });
    },
  });
  const { directory, memberships, chat, messages } = chatServices(store, events);
  const deletions = new AccountDeletions(store, chat);
  const roles = async (conversationId: string) => {
    const members = await store.members.find({ conversationId }).sort({ userId: 1 }).toArray();
    return Object.fromEntries(members.map((m) => [m.userId, m.role]));
  };

  await t.test('the owner and the successor deleted at once leave the group an owner', async (t) => {
    const group = await chat.createGroup('u_ann', { name: 'pair', memberIds: ['u_bob', 'u_cy'] });
    await chat.setRole('u_ann', group.id, 'u_bob', 'admin');
    // Bob's run has read his membership (an admin's) and is about to delete it when Ann's run
    // hands the group over to him.
    const held = holdDelete(t, store, memberKey(group.id, 'u_bob'));

    const bob = deletions.accountDeleted('u_bob', new Date());
    await held.reached;
    await deletions.accountDeleted('u_ann', new Date());
    held.release();
    await bob;

    t.same(await roles(group.id), { u_cy: 'owner' }, 'Cy, the one left, owns the group');
  });

  await t.test('the successor leaving as the owner is deleted leaves the group an owner', async (t) => {
    const group = await chat.createGroup('u_fay', { name: 'leaving', memberIds: ['u_gil', 'u_hol'] });
    await chat.setRole('u_fay', group.id, 'u_gil', 'admin');
    // Gil's leave has checked his role (an admin may leave) and is about to delete his membership
    // when Fay's deletion hands the group over to him.
    const held = holdDelete(t, store, memberKey(group.id, 'u_gil'));

    const leave = chat.removeMember('u_gil', group.id, 'u_gil');
    await held.reached;
    await deletions.accountDeleted('u_fay', new Date());
    held.release();
    await leave;

    t.same(await roles(group.id), { u_hol: 'owner' }, 'Hol, the one left, owns the group');
  });

  await t.test('a transfer to a member leaving at that moment leaves the group an owner', async (t) => {
    const group = await chat.createGroup('u_ida', { name: 'handing', memberIds: ['u_jon', 'u_kim'] });
    // Jon's leave has checked his role (a member may leave) and is about to delete his membership
    // when Ida's transfer makes him owner; it steps her down to admin only once his removal, still
    // seeing her as owner, is over.
    const leaving = holdDelete(t, store, memberKey(group.id, 'u_jon'));
    const update = store.members.updateOne.bind(store.members);
    const stepDown = gate();
    store.members.updateOne = (async (filter: { _id: string }, ...rest: unknown[]) => {
      if (filter._id === memberKey(group.id, 'u_ida')) await stepDown.pass();
      return (update as (...a: unknown[]) => unknown)(filter, ...rest);
    }) as unknown as typeof store.members.updateOne;
    t.teardown(() => {
      store.members.updateOne = update;
    });

    const leave = chat.removeMember('u_jon', group.id, 'u_jon');
    await leaving.reached;
    const transfer = chat.transferOwnership('u_ida', group.id, 'u_jon');
    await stepDown.reached;
    leaving.release();
    await leave;
    stepDown.release();
    await transfer;

    t.same(await roles(group.id), { u_ida: 'owner', u_kim: 'member' }, 'Ida, an admin again, owns it');
  });

  await t.test('a send to a direct conversation racing the peer deletion is not stored', async (t) => {
    const { view } = await chat.openDirect('u_dee', 'u_eli');
    // The send checked Eli's membership just before the deletion run removed it.
    const isMember = memberships.isMember.bind(memberships);
    const held = gate();
    memberships.isMember = (async (conversationId: string, userId: string) => {
      const answer = await isMember(conversationId, userId);
      if (userId === 'u_eli') await held.pass();
      return answer;
    }) as typeof memberships.isMember;
    t.teardown(() => {
      memberships.isMember = isMember;
    });
    const send = messages.send('u_dee', view.id, { clientMessageId: 'client-race-1', text: 'anyone?' });
    await held.reached;
    await deletions.accountDeleted('u_eli', new Date());
    held.release();

    await t.rejects(send, { code: 'CHAT_PEER_DELETED' }, 'the send is refused as one after the deletion');
    t.equal(
      await store.messages.countDocuments({ conversationId: view.id }),
      0,
      'nothing is stored in a direct conversation after its peer was deleted',
    );
    t.notOk(
      published.some((p) => p.topic === Topics.chatMessageCreated && p.conversationId === view.id),
      'nothing is announced',
    );
  });

  /** Holds `requireUser` for one user, after it found the account, until released. */
  const holdUserCheck = (t: Test, heldId: string) => {
    const requireUser = directory.requireUser;
    const held = gate();
    directory.requireUser = async (userId: string) => {
      await requireUser(userId);
      if (userId === heldId) await held.pass();
    };
    t.teardown(() => {
      directory.requireUser = requireUser;
    });
    return held;
  };
  const memberTopics = (conversationId: string, userId: string) =>
    published.filter((p) => p.conversationId === conversationId && p.userId === userId).map((p) => p.topic);

  await t.test('an add racing the deletion of the one added leaves them out', async (t) => {
    const group = await chat.createGroup('u_lea', { name: 'adding', memberIds: ['u_max'] });
    // The add found Ned's account just before auth deleted it; the deletion run lists Ned's
    // memberships before the add inserts his.
    const held = holdUserCheck(t, 'u_ned');

    const add = chat.addMembers('u_lea', group.id, ['u_ned']);
    await held.reached;
    await deletions.accountDeleted('u_ned', new Date());
    held.release();

    await t.rejects(add, { code: 'CHAT_USER_NOT_FOUND' }, 'the add is refused as one after the deletion');
    t.same(await roles(group.id), { u_lea: 'owner', u_max: 'member' }, 'Ned is no member');
    t.same(
      memberTopics(group.id, 'u_ned'),
      [Topics.chatMemberAdded, Topics.chatMemberRemoved],
      'his membership is announced gone, as the deletion run announces one',
    );
  });

  await t.test('a join by invite racing the deletion of the invitee leaves them out', async (t) => {
    const group = await chat.createGroup('u_ola', { name: 'inviting', memberIds: ['u_pia'] });
    const held = holdUserCheck(t, 'u_rex');

    const join = chat.addByInvite(group.id, { userId: 'u_rex', inviterId: 'u_ola', approverId: null });
    await held.reached;
    await deletions.accountDeleted('u_rex', new Date());
    held.release();

    await t.rejects(join, { code: 'CHAT_USER_NOT_FOUND' }, 'the join is refused as one after the deletion');
    t.same(await roles(group.id), { u_ola: 'owner', u_pia: 'member' }, 'Rex is no member');
    t.same(memberTopics(group.id, 'u_rex'), [Topics.chatMemberAdded, Topics.chatMemberRemoved]);
  });
});
