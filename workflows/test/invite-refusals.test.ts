import t from 'tap';
import { type InviteState, inviteRefusal } from '../src/workflows/invite-contract';

const state = (
  status: InviteState['status'],
  inviteeUserId: string | null = null,
  decidedBy: string | null = null,
) => ({
  status,
  inviteeUserId,
  decidedBy,
});

// The rules the workflow's update validators apply, and the API applies to closed invites.
t.test('accepting', async (t) => {
  t.equal(inviteRefusal('accept', state('pending', 'ann'), 'ann', 'ann'), null);
  t.equal(inviteRefusal('accept', state('pending', 'ann'), 'ann', 'bob'), 'INVITE_NOT_FOUND', 'not yours');
  t.equal(inviteRefusal('accept', state('pending'), null, 'bob'), null, 'a link is anyone’s until used');
  t.equal(inviteRefusal('accept', state('accepted', 'bob'), null, 'bob'), null, 'the same user again');
  t.equal(inviteRefusal('accept', state('awaiting_approval', 'bob'), null, 'bob'), null);
  t.equal(inviteRefusal('accept', state('accepted', 'bob'), null, 'eve'), 'INVITE_LINK_USED');
  t.equal(inviteRefusal('accept', state('accepting', 'bob'), null, 'eve'), 'INVITE_LINK_USED');
  t.equal(inviteRefusal('accept', state('expired'), null, 'bob'), 'INVITE_EXPIRED');
  t.equal(inviteRefusal('accept', state('revoked'), null, 'bob'), 'INVITE_REVOKED');
  t.equal(inviteRefusal('accept', state('declined', 'ann'), 'ann', 'ann'), 'INVITE_DECLINED');
  t.equal(inviteRefusal('accept', state('rejected', 'bob'), null, 'bob'), 'INVITE_REJECTED');
  t.equal(inviteRefusal('accept', state('failed', 'bob'), null, 'bob'), 'INVITE_FAILED');
});

t.test('declining, revoking, approving, rejecting', async (t) => {
  t.equal(inviteRefusal('decline', state('pending', 'ann'), 'ann', 'ann'), null);
  t.equal(inviteRefusal('decline', state('declined', 'ann'), 'ann', 'ann'), null, 'declining twice');
  t.equal(inviteRefusal('decline', state('accepted', 'ann'), 'ann', 'ann'), 'INVITE_ALREADY_ANSWERED');
  t.equal(inviteRefusal('revoke', state('pending'), null, 'adm'), null);
  t.equal(inviteRefusal('revoke', state('awaiting_approval', 'bob'), null, 'adm'), null);
  t.equal(inviteRefusal('revoke', state('revoked'), null, 'adm'), null, 'revoking twice');
  t.equal(inviteRefusal('revoke', state('accepted', 'bob'), null, 'adm'), 'INVITE_ALREADY_ANSWERED');
  t.equal(inviteRefusal('revoke', state('expired'), null, 'adm'), 'INVITE_EXPIRED');
  t.equal(inviteRefusal('approve', state('awaiting_approval', 'bob'), null, 'adm'), null);
  t.equal(inviteRefusal('approve', state('accepted', 'bob', 'adm'), null, 'adm'), null, 'approving twice');
  t.equal(inviteRefusal('approve', state('pending'), null, 'adm'), 'INVITE_NOT_AWAITING_APPROVAL');
  t.equal(inviteRefusal('approve', state('accepted', 'bob'), null, 'adm'), 'INVITE_NOT_AWAITING_APPROVAL');
  t.equal(inviteRefusal('approve', state('rejected', 'bob', 'adm'), null, 'adm'), 'INVITE_REJECTED');
  t.equal(inviteRefusal('reject', state('awaiting_approval', 'bob'), null, 'adm'), null);
  t.equal(inviteRefusal('reject', state('rejected', 'bob', 'adm'), null, 'adm'), null, 'rejecting twice');
  t.equal(inviteRefusal('reject', state('pending'), null, 'adm'), 'INVITE_NOT_AWAITING_APPROVAL');
});
