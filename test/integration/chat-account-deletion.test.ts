import t from 'tap';
import { chatApi, registerUsers } from '../support/chat';
import { eventually, startTestStack } from '../support/stack';
import { type RegisteredUser, callJson } from '../support/users';
import { inviteApi, memberIds } from './invites-support';

interface ConversationBody {
  id: string;
  members: { userId: string; role: string }[];
}

// A deleted account leaves its conversations as if it had left each one (chat consumes
// `user.deleted`): its groups pass on, its direct conversations keep their history.
t.test('a deleted account in conversations', async (t) => {
  const env = await startTestStack(t);
  const gateway = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const deleteAccount = (user: RegisteredUser) =>
    callJson(`${gateway}/api/v1/accounts/me`, {
      method: 'DELETE',
      token: user.accessToken,
      body: { password: user.password },
    });

  await t.test('a group whose owner deleted the account passes to its admin', async (t) => {
    const [owner, admin, member] = (await registerUsers(gateway, 3)) as [
      RegisteredUser,
      RegisteredUser,
      RegisteredUser,
    ];
    const group = await chatApi(gateway, owner.accessToken).group('left behind', [
      admin.userId,
      member.userId,
    ]);
    t.equal(group.status, 201);
    const id = group.body.id;
    const promoted = await chatApi(gateway, owner.accessToken).call(
      `/conversations/${id}/members/${admin.userId}`,
      {
        method: 'PATCH',
        body: { role: 'admin' },
      },
    );
    t.equal(promoted.status, 200);

    t.equal((await deleteAccount(owner)).status, 204);

    const asAdmin = chatApi(gateway, admin.accessToken);
    // The deleted account leaves the group, so it neither holds the owner role nobody else could
    // take nor counts among the readers of every later message.
    const members = await eventually(async () => {
      const view = await asAdmin.call<ConversationBody>(`/conversations/${id}`);
      return view.body.members.some((m) => m.userId === owner.userId) ? undefined : view.body.members;
    }, 15_000).catch(() => undefined);
    t.ok(members, 'the deleted owner is no longer listed as a member');
    t.same(
      Object.fromEntries((members ?? []).map((m) => [m.userId, m.role])),
      { [admin.userId]: 'owner', [member.userId]: 'member' },
      'the admin owns the group',
    );

    // The new owner runs the group: hands ownership on and takes it back.
    const handedOn = await asAdmin.call(`/conversations/${id}/owner`, {
      method: 'PUT',
      body: { userId: member.userId },
    });
    t.equal(handedOn.status, 200);
    const takenBack = await chatApi(gateway, member.accessToken).call(`/conversations/${id}/owner`, {
      method: 'PUT',
      body: { userId: admin.userId },
    });
    t.equal(takenBack.status, 200);

    const sent = await chatApi(gateway, member.accessToken).send(id, 'anyone there?');
    t.equal(sent.status, 201);
    const receipts = await chatApi(gateway, member.accessToken).call<{ of: number }>(
      `/messages/${sent.body.id}/receipts`,
    );
    t.equal(receipts.body.of, 1, 'only the admin can read it: the deleted account is not counted');
  });

  await t.test(
    'a direct conversation with a deleted account keeps its history, takes no sends',
    async (t) => {
      const [ann, bob] = (await registerUsers(gateway, 2)) as [RegisteredUser, RegisteredUser];
      const asAnn = chatApi(gateway, ann.accessToken);
      const direct = await asAnn.direct(bob.userId);
      t.equal(direct.status, 201);
      const id = direct.body.id;
      t.equal((await chatApi(gateway, bob.accessToken).send(id, 'goodbye')).status, 201);

      t.equal((await deleteAccount(bob)).status, 204);

      const left = await eventually(async () => {
        const view = await asAnn.call<ConversationBody>(`/conversations/${id}`);
        return view.body.members.some((m) => m.userId === bob.userId) ? undefined : view.body.members;
      }, 15_000).catch(() => undefined);
      t.same(
        left?.map((m) => m.userId),
        [ann.userId],
        'the deleted account is no longer listed as a member',
      );
      const refused = await asAnn.send(id, 'are you there?');
      t.equal(refused.status, 409, 'a send to the deleted account is refused');
      t.match(refused.body, { code: 'CHAT_PEER_DELETED' });
      const history = await asAnn.history(id);
      t.equal(history.status, 200);
      t.same(
        history.body.items.map((m) => m.text),
        ['goodbye'],
        'the history stays readable, and nothing was sent after the deletion',
      );
      const list = await asAnn.call<{ items: { id: string }[] }>('/conversations');
      t.ok(
        list.body.items.some((c) => c.id === id),
        'the conversation stays in the list',
      );
    },
  );

  await t.test('the open invites a deleted account made or was sent are revoked', async (t) => {
    const [owner, admin, invitee, gone] = (await registerUsers(gateway, 4)) as [
      RegisteredUser,
      RegisteredUser,
      RegisteredUser,
      RegisteredUser,
    ];
    const asOwner = chatApi(gateway, owner.accessToken);
    const group = await asOwner.group('invites', [admin.userId]);
    const id = group.body.id;
    await asOwner.call(`/conversations/${id}/members/${admin.userId}`, {
      method: 'PATCH',
      body: { role: 'admin' },
    });
    const byAdmin = await inviteApi(gateway, admin).create({
      conversationId: id,
      username: invitee.username,
    });
    const toGone = await inviteApi(gateway, owner).create({ conversationId: id, username: gone.username });
    t.same([byAdmin.status, toGone.status], [201, 201]);

    t.equal((await deleteAccount(admin)).status, 204);
    t.equal((await deleteAccount(gone)).status, 204);

    const statuses = await eventually(async () => {
      const list = await inviteApi(gateway, owner).list(`?conversationId=${id}&status=all`);
      const of = (inviteId: string) => list.body.items.find((i) => i.id === inviteId)?.status;
      const both = [of(byAdmin.body.id), of(toGone.body.id)];
      return both.every((status) => status === 'revoked') ? both : undefined;
    }, 20_000).catch(() => undefined);
    t.same(statuses, ['revoked', 'revoked'], 'both invites are closed, as the group owner sees them');
    const accepted = await inviteApi(gateway, invitee).act(byAdmin.body.id, 'accept');
    t.equal(accepted.status, 410, 'the invite of the deleted admin can no longer be accepted');
    t.match(accepted.body, { code: 'INVITE_REVOKED' });
    t.same(await memberIds(gateway, owner, id), [owner.userId].sort(), 'nobody joined');
  });
});
