import t from 'tap';
import { chatApi, registerUsers } from '../support/chat';
import { emailsTo, linkToken, waitForEmail } from '../support/mailbox';
import { startTestStack } from '../support/stack';
import { type RegisteredUser, registerAndLogin, uniqueUsername } from '../support/users';
import { inviteApi, memberIds, recordHistory, temporalClient } from './invites-support';

// Group invites end to end: the gateway, the notification service, one Temporal workflow per
// invite run by the real worker, chat admitting the member through service invocation, and
// invitation emails read from the real mail catcher.
t.test('group invites', async (t) => {
  const env = await startTestStack(t);
  const gateway = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const mailPort = () => env.stack.ports.mailWeb;
  const temporal = await temporalClient(t, env);
  const [owner, admin, member, outsider] = (await registerUsers(gateway, 4)) as [
    RegisteredUser,
    RegisteredUser,
    RegisteredUser,
    RegisteredUser,
  ];
  const as = (user: RegisteredUser) => inviteApi(gateway, user);
  const newGroup = async (name: string, requiresApproval = false) => {
    const chat = chatApi(gateway, owner.accessToken);
    const group = await chat.call<{ id: string }>('/conversations', {
      body: { type: 'group', name, memberIds: [admin.userId, member.userId], requiresApproval },
    });
    await chat.call(`/conversations/${group.body.id}/members/${admin.userId}`, {
      method: 'PATCH',
      body: { role: 'admin' },
    });
    return group.body.id;
  };

  await t.test('an existing user accepts an in-app invite and becomes a member', async (t) => {
    const groupId = await newGroup('in-app');
    const invitee = await registerAndLogin(gateway);
    const made = await as(admin).create({ conversationId: groupId, username: invitee.username });
    t.equal(made.status, 201);
    t.match(made.body, { channel: 'in_app', status: 'pending', inviteeUserId: invitee.userId });
    const again = await as(admin).create({
      conversationId: groupId,
      username: invitee.username.toUpperCase(),
    });
    t.equal(again.status, 200, 'inviting the same user again answers the open invite');
    t.equal(again.body.id, made.body.id);

    const mine = await as(invitee).list();
    t.same(
      mine.body.items.map((i) => i.id),
      [made.body.id],
      'the invitee lists it',
    );
    t.equal((await as(outsider).get(made.body.id)).status, 404, 'a stranger cannot see it');
    t.equal((await as(outsider).act(made.body.id, 'accept')).body.code, 'INVITE_NOT_FOUND');
    t.equal(
      (await as(invitee).act(made.body.id, 'revoke')).body.code,
      'INVITE_ADMIN_REQUIRED',
      'nor revoke it',
    );

    const accepted = await as(invitee).act(made.body.id, 'accept');
    t.equal(accepted.status, 200);
    t.equal(accepted.body.status, 'accepted', 'the answer carries the outcome');
    t.ok((await memberIds(gateway, owner, groupId)).includes(invitee.userId), 'chat lists the new member');
    t.ok((await memberIds(gateway, invitee, groupId)).includes(invitee.userId), 'who now sees the group');

    const twice = await as(invitee).act(made.body.id, 'accept');
    t.equal(twice.status, 200, 'a second accept is answered the same');
    t.equal(twice.body.status, 'accepted');
    t.equal((await as(invitee).act(made.body.id, 'decline')).body.code, 'INVITE_ALREADY_ANSWERED');
    t.equal((await as(admin).get(made.body.id)).body.status, 'accepted', 'an admin reads the outcome');
    t.equal(
      (await as(admin).create({ conversationId: groupId, username: invitee.username })).body.code,
      'INVITE_ALREADY_MEMBER',
    );
    await recordHistory(temporal, env, made.body.id, 'in-app-accepted');
  });

  await t.test('a stranger invited by email registers through the link and joins', async (t) => {
    const groupId = await newGroup('by email');
    const address = `${uniqueUsername('new_')}@example.test`;
    const made = await as(owner).create({ conversationId: groupId, email: address });
    t.equal(made.status, 201);
    t.match(made.body, { channel: 'email', status: 'pending', inviteeUserId: null });

    const mail = await waitForEmail(mailPort(), address, /invited you to by email on Parley/);
    t.match(mail.text, new RegExp(`${gateway}/invite#token=`), 'the link points at the platform');
    const token = linkToken(mail);
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;

    const newcomer = await registerAndLogin(gateway, { email: address });
    t.equal(
      (await as(newcomer).acceptLink(tampered)).body.code,
      'INVITE_LINK_INVALID',
      'a forged link fails',
    );
    const accepted = await as(newcomer).acceptLink(token);
    t.equal(accepted.status, 200);
    t.match(accepted.body, { status: 'accepted', inviteeUserId: newcomer.userId });
    t.ok((await memberIds(gateway, owner, groupId)).includes(newcomer.userId), 'the newcomer is a member');
    t.equal((await as(newcomer).acceptLink(token)).status, 200, 'the same user using it again is harmless');

    const other = await registerAndLogin(gateway);
    const reused = await as(other).acceptLink(token);
    t.equal(reused.status, 409, 'the link works for one user only');
    t.equal(reused.body.code, 'INVITE_LINK_USED');
    t.notOk((await memberIds(gateway, owner, groupId)).includes(other.userId));
    const invitations = (await emailsTo(mailPort(), address)).filter((m) => /invited you/.test(m.subject));
    t.equal(invitations.length, 1, 'exactly one invitation email');
    await recordHistory(temporal, env, made.body.id, 'email-link-accepted');
  });

  await t.test('two people racing for one link: exactly one joins', async (t) => {
    const groupId = await newGroup('race');
    const address = `${uniqueUsername('race_')}@example.test`;
    await as(owner).create({ conversationId: groupId, email: address });
    const token = linkToken(await waitForEmail(mailPort(), address, /invited you/));
    const [first, second] = (await registerUsers(gateway, 2)) as [RegisteredUser, RegisteredUser];
    const answers = await Promise.all([as(first).acceptLink(token), as(second).acceptLink(token)]);
    t.same(answers.map((a) => a.status).sort(), [200, 409], 'one is accepted, one refused');
    t.equal(answers.find((a) => a.status === 409)?.body.code, 'INVITE_LINK_USED');
    const members = await memberIds(gateway, owner, groupId);
    t.equal([first.userId, second.userId].filter((id) => members.includes(id)).length, 1, 'one new member');
  });

  await t.test('a declined invite stays declined', async (t) => {
    const groupId = await newGroup('declined');
    const invitee = await registerAndLogin(gateway);
    const made = await as(admin).create({ conversationId: groupId, username: invitee.username });
    const declined = await as(invitee).act(made.body.id, 'decline');
    t.equal(declined.status, 200);
    t.equal(declined.body.status, 'declined');
    t.equal((await as(invitee).act(made.body.id, 'accept')).body.code, 'INVITE_DECLINED');
    t.notOk((await memberIds(gateway, owner, groupId)).includes(invitee.userId));
    t.same((await as(invitee).list()).body.items, [], 'no longer listed as open');
    t.equal((await as(invitee).list('?status=all')).body.items[0]?.status, 'declined');
    await recordHistory(temporal, env, made.body.id, 'declined');
  });

  await t.test('a revoked invite and a revoked link are refused', async (t) => {
    const groupId = await newGroup('revoked');
    const invitee = await registerAndLogin(gateway);
    const inApp = await as(admin).create({ conversationId: groupId, username: invitee.username });
    t.equal((await as(member).act(inApp.body.id, 'revoke')).status, 404, 'a plain member cannot see it');
    const revoked = await as(admin).act(inApp.body.id, 'revoke');
    t.equal(revoked.body.status, 'revoked');
    const refused = await as(invitee).act(inApp.body.id, 'accept');
    t.equal(refused.status, 410);
    t.equal(refused.body.code, 'INVITE_REVOKED');

    const address = `${uniqueUsername('rv_')}@example.test`;
    const byEmail = await as(owner).create({ conversationId: groupId, email: address });
    const mail = await waitForEmail(mailPort(), address, /invited you/);
    t.equal((await as(owner).act(byEmail.body.id, 'revoke')).body.status, 'revoked');
    const late = await registerAndLogin(gateway, { email: address });
    const link = await as(late).acceptLink(linkToken(mail));
    t.equal(link.body.code, 'INVITE_REVOKED', 'the link is dead');
    t.notOk((await memberIds(gateway, owner, groupId)).includes(late.userId));
    await recordHistory(temporal, env, inApp.body.id, 'revoked');
  });

  await t.test('a group that requires approval holds acceptances for an admin', async (t) => {
    const groupId = await newGroup('approval', true);
    const [first, second] = (await registerUsers(gateway, 2)) as [RegisteredUser, RegisteredUser];
    const one = await as(admin).create({ conversationId: groupId, username: first.username });
    const two = await as(admin).create({ conversationId: groupId, username: second.username });

    const waiting = await as(first).act(one.body.id, 'accept');
    t.equal(waiting.status, 200);
    t.equal(waiting.body.status, 'awaiting_approval');
    t.notOk((await memberIds(gateway, owner, groupId)).includes(first.userId), 'not a member yet');
    const listed = await as(owner).list(`?conversationId=${groupId}`);
    t.ok(
      listed.body.items.some((i) => i.id === one.body.id && i.status === 'awaiting_approval'),
      'admins see what waits for them',
    );
    t.equal((await as(member).act(one.body.id, 'approve')).status, 404, 'a member cannot approve');
    t.equal((await as(first).act(one.body.id, 'approve')).body.code, 'INVITE_ADMIN_REQUIRED');
    t.equal((await as(owner).act(two.body.id, 'approve')).body.code, 'INVITE_NOT_AWAITING_APPROVAL');

    const approved = await as(owner).act(one.body.id, 'approve');
    t.equal(approved.body.status, 'accepted');
    t.ok((await memberIds(gateway, owner, groupId)).includes(first.userId), 'approved means member');

    t.equal((await as(second).act(two.body.id, 'accept')).body.status, 'awaiting_approval');
    const rejected = await as(admin).act(two.body.id, 'reject');
    t.equal(rejected.body.status, 'rejected');
    t.notOk((await memberIds(gateway, owner, groupId)).includes(second.userId));
    t.equal((await as(second).act(two.body.id, 'accept')).body.code, 'INVITE_REJECTED');
    await recordHistory(temporal, env, one.body.id, 'approved');
    await recordHistory(temporal, env, two.body.id, 'rejected');
  });

  await t.test('only a group admin invites, with validated input', async (t) => {
    const groupId = await newGroup('rules');
    const invitee = await registerAndLogin(gateway);
    const byMember = await as(member).create({ conversationId: groupId, username: invitee.username });
    t.equal(byMember.status, 403);
    t.equal(byMember.body.code, 'INVITE_ADMIN_REQUIRED');
    const byOutsider = await as(outsider).create({ conversationId: groupId, username: invitee.username });
    t.equal(byOutsider.status, 404);
    t.equal(byOutsider.body.code, 'INVITE_CONVERSATION_NOT_FOUND');
    const direct = await chatApi(gateway, owner.accessToken).direct(member.userId);
    t.equal(
      (await as(owner).create({ conversationId: direct.body.id, username: invitee.username })).body.code,
      'INVITE_NOT_A_GROUP',
    );
    t.equal(
      (await as(owner).create({ conversationId: groupId, username: 'nobody_like_this' })).body.code,
      'INVITE_USER_NOT_FOUND',
    );
    for (const body of [
      { conversationId: groupId, phone: '0044 20 7946 0000' },
      { conversationId: groupId, email: 'not an address' },
      { conversationId: groupId, email: 'a@example.test', username: invitee.username },
      { conversationId: groupId },
      { conversationId: 'c_nothex', username: invitee.username },
      { conversationId: groupId, username: { $ne: null } },
    ]) {
      const res = await as(owner).create(body);
      t.equal(res.status, 400, JSON.stringify(body));
      t.equal(res.body.code, 'VALIDATION_FAILED');
    }
    const anonymous = await fetch(`${gateway}/api/v1/invites`);
    t.equal(anonymous.status, 401, 'every route needs a signed-in user');
    const badToken = await as(owner).acceptLink('x'.repeat(87));
    t.equal(badToken.body.code, 'INVITE_LINK_INVALID');
  });

  await t.test('an open invite survives a restart of the whole platform', async (t) => {
    const groupId = await newGroup('restart');
    const invitee = await registerAndLogin(gateway);
    const made = await as(admin).create({ conversationId: groupId, username: invitee.username });
    t.equal(made.status, 201);
    await env.restart();
    t.equal((await as(invitee).get(made.body.id)).body.status, 'pending', 'still pending after the restart');
    const accepted = await as(invitee).act(made.body.id, 'accept');
    t.equal(accepted.body.status, 'accepted', 'and its workflow carries on');
    t.ok((await memberIds(gateway, owner, groupId)).includes(invitee.userId));
  });
});
