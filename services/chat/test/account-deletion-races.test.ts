import type { Logger } from '@parley/service-kit';
import t from 'tap';
import type { Directory } from '../src/auth-client';
import { AccountDeletions } from '../src/conversations/account-deletion';
import { Conversations } from '../src/conversations/service';
import { sidecarEvents } from '../src/events';
import type { MediaCatalog } from '../src/media/media-client';
import { Messages } from '../src/messages/service';
import { memberKey, openStore } from '../src/store';
import { connect, noPictures, startFerretDb, unrememberedMemberships } from './ferretdb';

const directory: Directory = {
  requireUser: async () => {},
  blockedAmong: async () => new Set<string>(),
};
const media: MediaCatalog = { claim: async () => [] };

t.test('account deletions racing each other or a send', async (t) => {
  const url = await startFerretDb(t);
  const store = await openStore((await connect(t, url)).db('parley_chat_account_deletion_races'));
  const events = sidecarEvents({ publish: async () => {} });
  const memberships = unrememberedMemberships(store);
  const chat = new Conversations({
    store,
    pictures: noPictures,
    memberships,
    directory,
    events,
    logger: {} as Logger,
  });
  const messages = new Messages({ store, memberships, directory, events, media });
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
    const remove = store.members.findOneAndDelete.bind(store.members);
    let releaseBob!: () => void;
    const bobHeld = new Promise<void>((resolve) => (releaseBob = resolve));
    let bobReached!: () => void;
    const bobAtDelete = new Promise<void>((resolve) => (bobReached = resolve));
    store.members.findOneAndDelete = (async (filter: { _id: string }, ...rest: unknown[]) => {
      if (filter._id === memberKey(group.id, 'u_bob')) {
        bobReached();
        await bobHeld;
      }
      return (remove as (...a: unknown[]) => unknown)(filter, ...rest);
    }) as unknown as typeof store.members.findOneAndDelete;
    t.teardown(() => {
      store.members.findOneAndDelete = remove;
    });

    const bob = deletions.accountDeleted('u_bob', new Date());
    await bobAtDelete;
    await deletions.accountDeleted('u_ann', new Date());
    releaseBob();
    await bob;

    t.same(await roles(group.id), { u_cy: 'owner' }, 'Cy, the one left, owns the group');
  });

  await t.test('the successor leaving as the owner is deleted leaves the group an owner', async (t) => {
    const group = await chat.createGroup('u_fay', { name: 'leaving', memberIds: ['u_gil', 'u_hol'] });
    await chat.setRole('u_fay', group.id, 'u_gil', 'admin');
    // Gil's leave has checked his role (an admin may leave) and is about to delete his membership
    // when Fay's deletion hands the group over to him.
    const remove = store.members.findOneAndDelete.bind(store.members);
    let releaseGil!: () => void;
    const gilHeld = new Promise<void>((resolve) => (releaseGil = resolve));
    let gilReached!: () => void;
    const gilAtDelete = new Promise<void>((resolve) => (gilReached = resolve));
    store.members.findOneAndDelete = (async (filter: { _id: string }, ...rest: unknown[]) => {
      if (filter._id === memberKey(group.id, 'u_gil')) {
        gilReached();
        await gilHeld;
      }
      return (remove as (...a: unknown[]) => unknown)(filter, ...rest);
    }) as unknown as typeof store.members.findOneAndDelete;
    t.teardown(() => {
      store.members.findOneAndDelete = remove;
    });

    const leave = chat.removeMember('u_gil', group.id, 'u_gil');
    await gilAtDelete;
    await deletions.accountDeleted('u_fay', new Date());
    releaseGil();
    await leave;

    t.same(await roles(group.id), { u_hol: 'owner' }, 'Hol, the one left, owns the group');
  });

  await t.test('a send to a direct conversation racing the peer deletion is not stored', async (t) => {
    const { view } = await chat.openDirect('u_dee', 'u_eli');
    // The send checked Eli's membership just before the deletion run removed it.
    const isMember = memberships.isMember.bind(memberships);
    let checked!: () => void;
    const sendChecked = new Promise<void>((resolve) => (checked = resolve));
    let releaseSend!: () => void;
    const sendHeld = new Promise<void>((resolve) => (releaseSend = resolve));
    memberships.isMember = (async (conversationId: string, userId: string) => {
      const answer = await isMember(conversationId, userId);
      if (userId === 'u_eli') {
        checked();
        await sendHeld;
      }
      return answer;
    }) as typeof memberships.isMember;
    t.teardown(() => {
      memberships.isMember = isMember;
    });
    const send = messages.send('u_dee', view.id, { clientMessageId: 'client-race-1', text: 'anyone?' });
    await sendChecked;
    await deletions.accountDeleted('u_eli', new Date());
    releaseSend();
    await send.catch(() => undefined);

    t.equal(
      await store.messages.countDocuments({ conversationId: view.id }),
      0,
      'nothing is stored in a direct conversation after its peer was deleted',
    );
  });
});
