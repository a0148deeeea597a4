import { randomUUID } from 'node:crypto';
import { messageIdFor } from '@parley/contracts';
import t from 'tap';
import { type MessageBody, chatApi, registerUsers } from '../support/chat';
import { connectClient } from '../support/sockets';
import { eventually, startTestStack } from '../support/stack';
import { type RegisteredUser, callJson } from '../support/users';

/** Access tokens last this long here, so a socket's expiry can be watched. */
const TOKEN_TTL_SECONDS = 60;

// Conversations and messages as their members use them over REST, through one gateway.
t.test('conversations, roles and message changes', async (t) => {
  const env = await startTestStack(t, { env: { ACCESS_TOKEN_TTL: String(TOKEN_TTL_SECONDS) } });
  const gateway = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const users = async (n: number) => registerUsers(gateway, n);

  await t.test('a group created again with the same request id is the same group', async (t) => {
    const [ada] = (await users(1)) as [RegisteredUser];
    const create = (requestId: string, name = 'repeatable') =>
      callJson<{ id: string }>(`${gateway}/api/v1/conversations`, {
        token: ada.accessToken,
        headers: { 'x-request-id': requestId },
        body: { type: 'group', name, memberIds: [] },
      });
    const requestId = randomUUID();
    const answers = await Promise.all([create(requestId), create(requestId), create(requestId)]);
    t.same(
      answers.map((a) => a.status),
      [201, 201, 201],
    );
    t.equal(new Set(answers.map((a) => a.body.id)).size, 1, 'one group, whichever try answered');
    const other = await create(randomUUID());
    t.not(other.body.id, answers[0]!.body.id, 'another request makes another group');
    const renamed = await create(requestId, 'another name');
    t.not(renamed.body.id, answers[0]!.body.id, 'so does the same id with another body');
  });

  await t.test('members added again with the same request id are added once', async (t) => {
    const [ada, bob, cy] = (await users(3)) as [RegisteredUser, RegisteredUser, RegisteredUser];
    const id = (await chatApi(gateway, ada.accessToken).group('repeat adds', [])).body.id;
    const add = (requestId: string, userIds: string[]) =>
      callJson<{ members: { userId: string }[] }>(`${gateway}/api/v1/conversations/${id}/members`, {
        token: ada.accessToken,
        headers: { 'x-request-id': requestId },
        body: { userIds },
      });
    const memberIds = (answer: { body: { members: { userId: string }[] } }) =>
      answer.body.members.map((m) => m.userId).sort();
    const requestId = randomUUID();

    const answers = await Promise.all([add(requestId, [bob.userId]), add(requestId, [bob.userId])]);
    t.same(
      answers.map((a) => a.status),
      [200, 200],
    );
    const again = await add(requestId, [bob.userId]);
    t.equal(again.status, 200, 'a repeat after the first finished answers as it did');
    t.same(memberIds(again), [ada.userId, bob.userId].sort());

    const removed = await callJson(`${gateway}/api/v1/conversations/${id}/members/${bob.userId}`, {
      method: 'DELETE',
      token: ada.accessToken,
    });
    t.equal(removed.status, 204);
    const late = await add(requestId, [bob.userId]);
    t.equal(late.status, 200);
    t.same(memberIds(late), [ada.userId], 'a late repeat does not add the removed member back');

    const other = await add(requestId, [cy.userId]);
    t.same(memberIds(other), [ada.userId, cy.userId].sort(), 'the same id with another body is obeyed');
  });

  await t.test('roles decide who may manage a group', async (t) => {
    const [alice, bob, carol, dave] = (await users(4)) as [
      RegisteredUser,
      RegisteredUser,
      RegisteredUser,
      RegisteredUser,
    ];
    const as = (u: RegisteredUser) => chatApi(gateway, u.accessToken);
    const group = await as(alice).group('roles', [bob.userId, carol.userId]);
    const id = group.body.id;
    const members = `/conversations/${id}/members`;

    const memberAdds = await as(bob).call(members, { body: { userIds: [dave.userId] } });
    t.equal(memberAdds.status, 403, 'a member cannot add members');
    t.equal((memberAdds.body as { code: string }).code, 'CHAT_ROLE_REQUIRED');
    t.equal(
      (await as(alice).call(`${members}/${bob.userId}`, { method: 'PATCH', body: { role: 'admin' } })).status,
      200,
    );
    t.equal((await as(bob).call(members, { body: { userIds: [dave.userId] } })).status, 200, 'an admin can');
    const unknown = await as(bob).call(members, { body: { userIds: [randomUUID()] } });
    t.equal(unknown.status, 404, 'a user who does not exist cannot be added');
    t.equal(
      (await as(bob).call(`${members}/${alice.userId}`, { method: 'DELETE' })).status,
      403,
      'nor remove the owner',
    );
    t.equal((await as(dave).send(id, 'hello')).status, 201, 'a new member sends');
    t.equal((await as(bob).call(`${members}/${dave.userId}`, { method: 'DELETE' })).status, 204);
    const afterRemoval = await as(dave).send(id, 'still here?');
    t.equal(afterRemoval.status, 404, 'a removed member cannot send, though chat knew him a moment ago');

    const leaving = await as(alice).call(`${members}/${alice.userId}`, { method: 'DELETE' });
    t.equal(leaving.status, 409, 'the owner transfers before leaving');
    t.equal((leaving.body as { code: string }).code, 'CHAT_OWNER_MUST_TRANSFER');
    t.equal(
      (await as(alice).call(`/conversations/${id}/owner`, { method: 'PUT', body: { userId: bob.userId } }))
        .status,
      200,
    );
    const view = await as(bob).call<{ members: { userId: string; role: string }[] }>(`/conversations/${id}`);
    t.same(Object.fromEntries(view.body.members.map((m) => [m.userId, m.role])), {
      [alice.userId]: 'admin',
      [bob.userId]: 'owner',
      [carol.userId]: 'member',
    });
    t.equal(
      (await as(alice).call(`${members}/${alice.userId}`, { method: 'DELETE' })).status,
      204,
      'then leaves',
    );
    t.equal((await as(alice).call(`/conversations/${id}`)).status, 404, 'and no longer sees it');

    t.equal(
      (await as(carol).call(`/conversations/${id}`, { method: 'PATCH', body: { topic: 'x' } })).status,
      403,
    );
    const renamed = await as(bob).call<{ name: string; topic: string }>(`/conversations/${id}`, {
      method: 'PATCH',
      body: { name: 'renamed', topic: 'new topic' },
    });
    t.match(renamed.body, { name: 'renamed', topic: 'new topic' });
    const direct = await as(bob).direct(carol.userId);
    t.equal(
      (await as(bob).call(`/conversations/${direct.body.id}/members`, { body: { userIds: [dave.userId] } }))
        .status,
      409,
      'a direct conversation keeps its two members',
    );
  });

  await t.test('edits keep history, deletes leave a tombstone, reactions count once', async (t) => {
    const [alice, bob] = (await users(2)) as [RegisteredUser, RegisteredUser];
    const aliceApi = chatApi(gateway, alice.accessToken);
    const bobApi = chatApi(gateway, bob.accessToken);
    const { body: conversation } = await aliceApi.direct(bob.userId);
    const { body: sent } = await aliceApi.send(conversation.id, 'first draft');

    t.equal(
      (await bobApi.call(`/messages/${sent.id}`, { method: 'PATCH', body: { text: 'hijack' } })).status,
      403,
    );
    await aliceApi.call(`/messages/${sent.id}`, { method: 'PATCH', body: { text: 'second draft' } });
    const edited = await bobApi.call<MessageBody & { edits: { text: string }[]; editedAt: string }>(
      `/messages/${sent.id}`,
    );
    t.equal(edited.body.text, 'second draft');
    t.same(
      edited.body.edits.map((e) => e.text),
      ['first draft'],
    );
    t.ok(edited.body.editedAt);
    const blank = await aliceApi.call(`/messages/${sent.id}`, { method: 'PATCH', body: { text: ' \n ' } });
    t.equal(blank.status, 400, 'an edit leaves some text, as a send must');
    t.match(blank.body, { code: 'VALIDATION_FAILED', errors: [{ path: 'text' }] });

    const thumbs = `/messages/${sent.id}/reactions/${encodeURIComponent('👍')}`;
    await bobApi.call(thumbs, { method: 'PUT' });
    const twice = await bobApi.call<{ reactions: { emoji: string; userIds: string[] }[] }>(thumbs, {
      method: 'PUT',
    });
    t.same(
      twice.body.reactions,
      [{ emoji: '👍', userIds: [bob.userId] }],
      'a second identical reaction changes nothing',
    );
    const removed = await bobApi.call<{ reactions: unknown[] }>(thumbs, { method: 'DELETE' });
    t.same(removed.body.reactions, []);

    t.equal((await bobApi.call(`/messages/${sent.id}`, { method: 'DELETE' })).status, 403, 'not the sender');
    const tombstone = await aliceApi.call<MessageBody & { deletedAt: string }>(`/messages/${sent.id}`, {
      method: 'DELETE',
    });
    t.equal(tombstone.status, 200);
    t.match(tombstone.body, { text: '', seq: sent.seq });
    t.ok(tombstone.body.deletedAt);
    const history = await bobApi.history(conversation.id);
    t.same(
      history.body.items.map((m) => [m.seq, m.text]),
      [[sent.seq, '']],
      'the tombstone keeps its place',
    );
    const entry = await bobApi.call<{ lastMessage: { id: string; preview: string; deleted: boolean } }>(
      `/conversations/${conversation.id}`,
    );
    t.match(
      entry.body.lastMessage,
      { id: sent.id, preview: '', deleted: true },
      'the preview shows the deletion',
    );
    const again = await aliceApi.call(`/messages/${sent.id}`, { method: 'PATCH', body: { text: 'undo' } });
    t.equal(again.status, 409);
  });

  await t.test('a block stops a direct conversation both ways, after messages went through', async (t) => {
    const [alice, bob] = (await users(2)) as [RegisteredUser, RegisteredUser];
    const aliceApi = chatApi(gateway, alice.accessToken);
    const bobApi = chatApi(gateway, bob.accessToken);
    const direct = await aliceApi.direct(bob.userId);
    t.equal((await aliceApi.send(direct.body.id, 'hi')).status, 201);
    t.equal((await bobApi.send(direct.body.id, 'hello')).status, 201);
    const blocked = await bobApi.call(`/contacts/blocked/${alice.userId}`, { method: 'PUT' });
    t.ok(blocked.status < 300, 'bob blocks alice');
    for (const api of [aliceApi, bobApi]) {
      const refused = await api.send(direct.body.id, 'anyone there?');
      t.equal(refused.status, 403);
      t.match(refused.body, { code: 'CHAT_USER_BLOCKED' });
    }
    t.same(
      (await aliceApi.history(direct.body.id)).body.items.map((m) => m.text),
      ['hi', 'hello'],
      'nothing refused was stored',
    );
  });

  await t.test('a block keeps either of the pair from putting the other into a group', async (t) => {
    const [ann, bob, cy] = (await users(3)) as [RegisteredUser, RegisteredUser, RegisteredUser];
    const annApi = chatApi(gateway, ann.accessToken);
    const bobApi = chatApi(gateway, bob.accessToken);
    const own = await bobApi.group('bobs', [cy.userId]);
    t.equal((await annApi.call(`/contacts/blocked/${bob.userId}`, { method: 'PUT' })).status, 204);

    const made = await bobApi.group('trap', [cy.userId, ann.userId]);
    t.match(
      made,
      {
        status: 403,
        body: { code: 'CHAT_USER_BLOCKED', detail: 'You and this user cannot message each other.' },
      },
      'a new group naming the blocker, refused as a direct conversation is: not saying who blocked',
    );
    t.equal((await annApi.group('back', [bob.userId])).status, 403, 'the blocker cannot either');
    const added = await bobApi.call(`/conversations/${own.body.id}/members`, {
      body: { userIds: [ann.userId] },
    });
    t.match(added, { status: 403, body: { code: 'CHAT_USER_BLOCKED' } }, 'adding the blocker');
    for (const target of [{ username: ann.username }, { email: ann.email }]) {
      const invite = await bobApi.call('/invites', { body: { conversationId: own.body.id, ...target } });
      t.match(invite, { status: 403, body: { code: 'INVITE_USER_BLOCKED' } }, 'inviting the blocker');
    }
    const byOther = await chatApi(gateway, cy.accessToken).group('cys', [ann.userId, bob.userId]);
    t.equal(byOther.status, 201, 'a third user still puts both in a group of theirs');

    t.equal((await annApi.call(`/contacts/blocked/${bob.userId}`, { method: 'DELETE' })).status, 204);
    t.equal((await bobApi.group('again', [ann.userId])).status, 201, 'unblocked, a group is made');
  });

  await t.test('replies, threads and mentions name only what the conversation holds', async (t) => {
    const [alice, bob, stranger] = (await users(3)) as [RegisteredUser, RegisteredUser, RegisteredUser];
    const aliceApi = chatApi(gateway, alice.accessToken);
    const group = await aliceApi.group('threads', [bob.userId]);
    const other = await aliceApi.group('elsewhere', []);
    const { body: root } = await aliceApi.send(group.body.id, 'root');
    const { body: elsewhere } = await aliceApi.send(other.body.id, 'elsewhere');
    const post = (body: Record<string, unknown>) =>
      aliceApi.call<MessageBody & { code?: string }>(`/conversations/${group.body.id}/messages`, {
        body: { clientMessageId: randomUUID(), text: 'x', ...body },
      });

    t.equal(
      (await post({ replyToId: elsewhere.id })).status,
      404,
      'a reply to a message of another conversation',
    );
    t.equal((await post({ mentions: [stranger.userId] })).status, 409, 'a mention of a non-member');
    const reply = await post({ replyToId: root.id, mentions: [bob.userId], text: '@bob look' });
    t.equal(reply.status, 201);
    t.match(reply.body, { replyToId: root.id, mentions: [bob.userId] });
    const everyone = await post({ mentionsEveryone: true, text: '@everyone hi' });
    t.match(everyone.body, { mentionsEveryone: true });
    const inThread = await post({ threadRootId: root.id, text: 'in the thread' });
    t.equal(inThread.status, 201);
    t.equal((await post({ threadRootId: inThread.body.id })).status, 409, 'threads do not nest');
    const thread = await aliceApi.history(group.body.id, `?threadRootId=${root.id}`);
    t.same(
      thread.body.items.map((m) => m.text),
      ['in the thread'],
    );
  });

  await t.test('history pages by sequence: before, after and around a message', async (t) => {
    const [alice, bob] = (await users(2)) as [RegisteredUser, RegisteredUser];
    const aliceApi = chatApi(gateway, alice.accessToken);
    const { body: conversation } = await aliceApi.direct(bob.userId);
    const sent: MessageBody[] = [];
    for (let i = 1; i <= 30; i++) sent.push((await aliceApi.send(conversation.id, `n${i}`)).body);
    const seqs = async (query: string) =>
      (await aliceApi.history(conversation.id, query)).body.items.map((m) => m.seq);
    t.same(await seqs('?before=10&limit=5'), [5, 6, 7, 8, 9]);
    t.same(await seqs('?after=25&limit=10'), [26, 27, 28, 29, 30]);
    t.same(await seqs(`?around=${sent[14]?.id}&limit=5`), [13, 14, 15, 16, 17]);
    t.same(await seqs('?limit=3'), [28, 29, 30], 'the newest page by default');
    t.equal((await aliceApi.history(conversation.id, '?before=5&after=1')).status, 400);
  });

  await t.test(
    'the conversation list: newest activity first, preview, unread, mute and archive',
    async (t) => {
      const [alice, bob, carol] = (await users(3)) as [RegisteredUser, RegisteredUser, RegisteredUser];
      const aliceApi = chatApi(gateway, alice.accessToken);
      const bobApi = chatApi(gateway, bob.accessToken);
      const older = await aliceApi.group('older', [bob.userId]);
      const newer = await aliceApi.group('newer', [bob.userId, carol.userId]);
      await aliceApi.send(newer.body.id, 'in newer');
      await aliceApi.send(older.body.id, 'in older, but later');
      const last = await aliceApi.send(older.body.id, 'and agian');
      type Item = {
        id: string;
        unreadCount: number;
        lastMessage: { id: string; preview: string; deleted: boolean };
        me: { muted: boolean };
      };
      await aliceApi.call(`/messages/${last.body.id}`, { method: 'PATCH', body: { text: 'and again' } });
      const list = await bobApi.call<{ items: Item[] }>('/conversations');
      t.same(
        list.body.items.map((c) => c.id),
        [older.body.id, newer.body.id],
      );
      t.equal(list.body.items[0]?.lastMessage.preview, 'and again', 'the preview shows the edited text');
      t.equal(list.body.items[1]?.lastMessage.preview, 'in newer');
      t.same(
        list.body.items.map((c) => c.unreadCount),
        [2, 1],
      );
      await bobApi.call(`/conversations/${older.body.id}/receipts`, { body: { kind: 'read', seq: 2 } });
      await bobApi.call(`/conversations/${newer.body.id}/settings`, {
        method: 'PUT',
        body: { muted: true, archived: true },
      });
      const after = await bobApi.call<{ items: Item[] }>('/conversations?archived=false');
      t.same(
        after.body.items.map((c) => [c.id, c.unreadCount]),
        [[older.body.id, 0]],
        'read, and the archived one listed apart',
      );
      const archived = await bobApi.call<{ items: Item[] }>('/conversations?archived=true');
      t.match(archived.body.items, [{ id: newer.body.id, me: { muted: true } }]);
    },
  );

  await t.test('a deleted message no longer counts as unread, however often it is deleted', async (t) => {
    const [alice, bob] = (await users(2)) as [RegisteredUser, RegisteredUser];
    const aliceApi = chatApi(gateway, alice.accessToken);
    const bobApi = chatApi(gateway, bob.accessToken);
    const group = await aliceApi.group('deletions', [bob.userId]);
    const sent = [];
    for (let i = 1; i <= 10; i++) sent.push((await aliceApi.send(group.body.id, `number ${i}`)).body);
    await bobApi.call(`/conversations/${group.body.id}/receipts`, { body: { kind: 'read', seq: 4 } });
    const unread = async () =>
      (await bobApi.call<{ unreadCount: number }>(`/conversations/${group.body.id}`)).body.unreadCount;
    t.equal(await unread(), 6);
    // 3 was read already; 7 to 10 were not. 9 is deleted twice.
    for (const seq of [3, 7, 8, 9, 9, 10]) {
      const res = await aliceApi.call(`/messages/${sent[seq - 1]?.id}`, { method: 'DELETE' });
      t.equal(res.status, 200);
    }
    t.equal(await unread(), 2, 'only 5 and 6 are left to read');
    const list = await bobApi.call<{ items: { id: string; unreadCount: number }[] }>('/conversations');
    t.equal(list.body.items.find((c) => c.id === group.body.id)?.unreadCount, 2, 'the list says so too');
    await aliceApi.send(group.body.id, 'number 11');
    t.equal(await unread(), 3, 'a new message counts');
    t.equal(
      (await aliceApi.call<{ unreadCount: number }>(`/conversations/${group.body.id}`)).body.unreadCount,
      0,
      'the sender has nothing unread',
    );
  });

  await t.test('a member added back keeps what they read; a new one has no history unread', async (t) => {
    const [ada, bob, cy] = (await users(3)) as [RegisteredUser, RegisteredUser, RegisteredUser];
    const adaApi = chatApi(gateway, ada.accessToken);
    const cyApi = chatApi(gateway, cy.accessToken);
    const group = await adaApi.group('comings and goings', [bob.userId]);
    const id = group.body.id;
    for (let i = 1; i <= 7; i++) await adaApi.send(id, `number ${i}`);
    const members = `/conversations/${id}/members`;
    await adaApi.call(members, { body: { userIds: [cy.userId] } });
    type Item = {
      id: string;
      unreadCount: number;
      lastSeq: number;
      me: { readSeq: number; joinSeq: number };
    };
    const seenByCy = async () => {
      const list = await cyApi.call<{ items: Item[] }>('/conversations');
      const item = list.body.items.find((c) => c.id === id);
      return item && { unread: item.unreadCount, readSeq: item.me.readSeq, lastSeq: item.lastSeq };
    };
    t.same(await seenByCy(), { unread: 0, readSeq: 0, lastSeq: 7 }, 'the history is not unread');
    const joined = await cyApi.call<Item>(`/conversations/${id}`);
    t.match(joined.body, { unreadCount: 0, me: { readSeq: 0, joinSeq: 7 } }, 'the conversation agrees');

    await cyApi.call(`/conversations/${id}/receipts`, { body: { kind: 'read', seq: 7 } });
    t.same(await seenByCy(), { unread: 0, readSeq: 7, lastSeq: 7 });
    t.equal((await adaApi.call(`${members}/${cy.userId}`, { method: 'DELETE' })).status, 204);
    await adaApi.call(members, { body: { userIds: [cy.userId] } });
    t.same(await seenByCy(), { unread: 0, readSeq: 7, lastSeq: 7 }, 'what was read stays read');

    const seventh = await adaApi.call<{ readBy: { userId: string }[] }>(
      `/messages/${messageIdFor(id, 7)}/receipts`,
    );
    t.ok(
      seventh.body.readBy.some((r) => r.userId === cy.userId),
      'and they are still among its readers',
    );
    await adaApi.send(id, 'number 8');
    t.same(await seenByCy(), { unread: 1, readSeq: 7, lastSeq: 8 }, 'a new message counts');
  });

  await t.test('other services page through every stored message by service invocation', async (t) => {
    const sidecar = `http://127.0.0.1:${env.stack.ports.apps.gateway.daprHttp}/v1.0/invoke/chat/method`;
    const headers = { 'dapr-api-token': env.stack.secrets.apps.gateway.daprApiToken };
    const seen: MessageBody[] = [];
    let after: string | null = null;
    do {
      const query: string = after ? `&after=${after}` : '';
      const res = await fetch(`${sidecar}/internal/v1/messages?limit=7${query}`, { headers });
      t.equal(res.status, 200);
      const page = (await res.json()) as { items: MessageBody[]; next: string | null };
      seen.push(...page.items);
      after = page.next;
    } while (after);
    t.ok(seen.length >= 30, 'every message so far');
    t.equal(new Set(seen.map((m) => m.id)).size, seen.length, 'none twice');
    const direct = await fetch(`http://127.0.0.1:${env.stack.ports.apps.chat.app}/internal/v1/messages`);
    t.equal(direct.status, 401, 'not without the sidecar');
  });

  await t.test('a socket closes when its access token expires', async (t) => {
    const [alice] = (await users(1)) as [RegisteredUser];
    const socket = await connectClient(t, gateway, { token: alice.accessToken });
    await socket.waitFor('auth:expired', () => true, 1, (TOKEN_TTL_SECONDS + 15) * 1000);
    await eventually(async () => (socket.socket.connected ? undefined : true));
  });
});
