import type { Sidecar } from '@parley/service-kit';
import type { InviteAction, InviteActor } from '@parley/workflows';
import t, { type Test } from 'tap';
import { type InviteDirectory, sidecarDirectory } from '../src/invites/invite-directory';
import { InviteError } from '../src/invites/invite-errors';
import type { InviteDoc } from '../src/invites/invite-store';
import type { InviteWorkflows } from '../src/invites/invite-workflows';
import { inviteStore, invitesOver, revokedState } from './invite-fixtures';

const GROUP = `c_${'d'.repeat(24)}`;
const GONE = 'u_gone';

/** GONE owns the group GROUP; no address belongs to an account. */
const directory: InviteDirectory = {
  admission: async (conversationId, userId) => ({
    conversation: { id: conversationId, type: 'group', name: 'Crew', requiresApproval: false },
    role: userId === GONE ? 'owner' : null,
  }),
  lookup: async () => null,
  displayName: async () => 'Gone',
  blocked: async () => false,
};

/** Invites over a private store, with workflows that start and revoke as far as these tests go. */
async function invitesFor(t: Test, accounts: InviteDirectory) {
  const { store } = await inviteStore(t, 'parley_invite_inviter_deletion_test');
  const revoked: string[] = [];
  const workflows = {
    start: async () => undefined,
    act: async (inviteId: string, action: InviteAction, { userId }: InviteActor) => {
      const current = (await store.get(inviteId))!;
      if (action !== 'revoke' || current.status !== 'pending') {
        throw new InviteError('INVITE_ALREADY_ANSWERED', { inviteId });
      }
      revoked.push(inviteId);
      return revokedState(current, userId);
    },
  } as unknown as InviteWorkflows;
  const invites = invitesOver(store, { directory: accounts, workflows });
  return { store, invites, revoked };
}

const codeOf = (err: unknown) => (err instanceof InviteError ? `${err.status} ${err.code}` : String(err));

t.test('an invite stored after its inviter’s deletion listed the open ones is revoked', async (t) => {
  const { store, invites, revoked } = await invitesFor(t, directory);
  // The creation passes its checks before the deletion and stores the invite after its listing.
  let reached!: () => void;
  const atInsert = new Promise<void>((resolve) => (reached = resolve));
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const insert = store.insert.bind(store);
  store.insert = async (doc: InviteDoc) => {
    reached();
    await gate;
    await insert(doc);
  };

  const creation = invites
    .create(GONE, { conversationId: GROUP, email: 'kim@example.test' }, 'req-1')
    .then(() => 'created', codeOf);
  await atInsert;
  await invites.accountDeleted(GONE);
  open();

  t.equal(
    await creation,
    '404 INVITE_CONVERSATION_NOT_FOUND',
    'the creation answers as it would a moment later',
  );
  const stored = await store.invites.find({}).toArray();
  t.same(
    stored.map((i) => [i.inviterId, i.status, i.decidedBy]),
    [[GONE, 'revoked', GONE]],
    'the invite is revoked in the deleted account’s name',
  );
  t.same(revoked, [stored[0]!._id], 'through its workflow, once');
  t.equal(await store.holderOf(stored[0]!.openKey), null, 'its slot is free');

  // The event comes again: nothing is left open to revoke.
  await invites.accountDeleted(GONE);
  t.equal(revoked.length, 1);
});

t.test('an inviter auth no longer knows is refused at once, with nothing stored', async (t) => {
  // Chat still lists the membership; auth answers 404 for the account, as after its deletion.
  const sidecar = {
    invoke: async (app: string, method: string) => {
      if (app === 'chat') {
        return {
          status: 200,
          body: {
            conversation: { id: GROUP, type: 'group', name: 'Crew', requiresApproval: false },
            role: 'owner',
          },
        };
      }
      if (method === 'internal/v1/relations/check') return { status: 200, body: { blocked: [] } };
      return { status: 404, body: { code: 'AUTH_USER_NOT_FOUND' } };
    },
  } as unknown as Sidecar;
  const { store, invites } = await invitesFor(t, sidecarDirectory(sidecar));

  const answer = await invites
    .create(GONE, { conversationId: GROUP, email: 'lee@example.test' }, 'req-2')
    .then(() => 'created', codeOf);

  t.equal(answer, '404 INVITE_CONVERSATION_NOT_FOUND', 'a client fault, not a dependency failing');
  t.equal(await store.invites.countDocuments({}), 0, 'nothing stored');
});
