import type { InviteAction, InviteActor, InviteStatus } from '@parley/workflows';
import t from 'tap';
import type { InviteDirectory } from '../src/invites/invite-directory';
import { InviteError } from '../src/invites/invite-errors';
import type { InviteDoc } from '../src/invites/invite-store';
import type { InviteWorkflows } from '../src/invites/invite-workflows';
import { inviteStore, invitesOver, revokedState } from './invite-fixtures';

const GROUP = `c_${'b'.repeat(24)}`;
const GONE = 'u_gone';

function invite(id: string, fields: Partial<InviteDoc>): InviteDoc {
  const now = new Date();
  return {
    _id: id,
    conversationId: GROUP,
    conversationName: 'Crew',
    inviterId: 'u_ada',
    inviterName: 'Ada',
    channel: 'in_app',
    target: { kind: 'username', value: id },
    inviteeUserId: `u_${id}`,
    nonce: 'n',
    openKey: `${GROUP}:${id}`,
    status: 'pending',
    decidedBy: null,
    failureCode: null,
    remindedAt: null,
    expiresAt: new Date(now.getTime() + 3_600_000),
    version: 1,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}

t.test('a deleted account takes its open invites, made or received, with it', async (t) => {
  const { store } = await inviteStore(t, 'parley_invite_account_deletion_test');
  // Each invite's workflow, as far as a revocation goes: it closes a pending one and refuses one
  // whose invitee is being added (the add then fails on the deleted account).
  const asked: { inviteId: string; action: InviteAction; userId: string }[] = [];
  const workflows = {
    act: async (inviteId: string, action: InviteAction, { userId }: InviteActor) => {
      asked.push({ inviteId, action, userId });
      const current = (await store.get(inviteId))!;
      if (current.status === 'accepting') throw new InviteError('INVITE_ALREADY_ANSWERED', { inviteId });
      return revokedState(current, userId);
    },
  } as unknown as InviteWorkflows;
  const invites = invitesOver(store, { directory: {} as InviteDirectory, workflows });
  const made = invite('made', { inviterId: GONE, channel: 'email', inviteeUserId: null });
  const waiting = invite('waiting', { inviterId: GONE, status: 'awaiting_approval' });
  const received = invite('received', { inviteeUserId: GONE });
  const joining = invite('joining', { inviteeUserId: GONE, status: 'accepting' });
  const expired = invite('expired', { inviterId: GONE, status: 'expired' });
  const others = invite('others', {});
  for (const doc of [made, waiting, received, joining, expired, others]) await store.insert(doc);

  await invites.accountDeleted(GONE);

  const statuses = async () => {
    const docs = await store.invites.find({}).sort({ _id: 1 }).toArray();
    return Object.fromEntries(docs.map((d) => [d._id, d.status])) as Record<string, InviteStatus>;
  };
  t.same(
    await statuses(),
    {
      expired: 'expired',
      joining: 'accepting',
      made: 'revoked',
      others: 'pending',
      received: 'revoked',
      waiting: 'revoked',
    },
    'the open invites it made or was sent are revoked; a join under way and the others stay',
  );
  t.same(
    asked.map((a) => `${a.action} ${a.inviteId} by ${a.userId}`).sort(),
    [
      'revoke joining by u_gone',
      'revoke made by u_gone',
      'revoke received by u_gone',
      'revoke waiting by u_gone',
    ],
    'each open one is asked of its workflow, in the name of the deleted account',
  );
  t.equal((await store.get('made'))!.decidedBy, GONE, 'the record says who it closed with');

  // The event comes at least once: a second run asks nothing of invites already closed.
  asked.length = 0;
  await invites.accountDeleted(GONE);
  t.same(
    asked.map((a) => a.inviteId),
    ['joining'],
    'only the join under way is asked again',
  );
});
