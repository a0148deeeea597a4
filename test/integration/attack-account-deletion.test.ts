import t from 'tap';
import { chatApi, registerUsers } from '../support/chat';
import { eventually, startTestStack } from '../support/stack';
import { type RegisteredUser, callJson } from '../support/users';

interface GroupView {
  members: { userId: string; role: string }[];
}

// What a deleted account leaves behind in the conversations it was part of.
t.test('a deleted account in conversations', async (t) => {
  const env = await startTestStack(t);
  const gateway = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const deleteAccount = (user: RegisteredUser) =>
    callJson(`${gateway}/api/v1/accounts/me`, {
      method: 'DELETE',
      token: user.accessToken,
      body: { password: user.password },
    });

  await t.test('a group whose owner deleted the account can still be run', async (t) => {
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
    const promoted = await callJson(`${gateway}/api/v1/conversations/${id}/members/${admin.userId}`, {
      method: 'PATCH',
      token: owner.accessToken,
      body: { role: 'admin' },
    });
    t.equal(promoted.status, 200);
    t.equal((await deleteAccount(owner)).status, 204);

    const asAdmin = chatApi(gateway, admin.accessToken);
    // The deleted account should leave the group (as leaving would), so that it neither holds the
    // owner role nobody else can take nor counts among the readers of every later message.
    const members = await eventually(async () => {
      const view = await asAdmin.call<GroupView>(`/conversations/${id}`);
      return view.body.members.some((m) => m.userId === owner.userId) ? undefined : view.body.members;
    }, 15_000).catch(() => undefined);
    t.ok(members, 'the deleted owner is no longer listed as a member');

    const removal = await asAdmin.call(`/conversations/${id}/members/${owner.userId}`, { method: 'DELETE' });
    const takeOver = await asAdmin.call(`/conversations/${id}/owner`, {
      method: 'PUT',
      body: { userId: admin.userId },
    });
    const view = await asAdmin.call<GroupView>(`/conversations/${id}`);
    const owners = view.body.members.filter((m) => m.role === 'owner').map((m) => m.userId);
    t.ok(
      owners.length === 1 && owners[0] !== owner.userId,
      `a living member owns the group (owners ${JSON.stringify(owners)}; an admin's removal of the ` +
        `deleted owner answered ${removal.status}, taking ownership ${takeOver.status})`,
    );

    const sent = await chatApi(gateway, member.accessToken).send(id, 'anyone there?');
    t.equal(sent.status, 201);
    const receipts = await chatApi(gateway, member.accessToken).call<{ of: number }>(
      `/messages/${sent.body.id}/receipts`,
    );
    t.equal(receipts.body.of, 1, 'only the admin can read it: the deleted account is not counted');
  });
});
