import { randomBytes, randomUUID } from 'node:crypto';
import t from 'tap';
import { type MessageBody, allMessages, chatApi, registerUsers } from '../support/chat';
import { type Ack, connectClient, refusal, refusalCode } from '../support/sockets';
import { eventually, startTestStack } from '../support/stack';
import type { RegisteredUser } from '../support/users';

// Two gateway replicas in front of the real chat service: users on different replicas talk
// through Dapr pub/sub and the Socket.IO Redis adapter.
t.test('chat through two gateway replicas', async (t) => {
  const env = await startTestStack(t, {}, 2);
  const gatewayA = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const gatewayB = `http://127.0.0.1:${env.stack.ports.extraGateways[0]?.app}`;
  const [alice, bob, carol, mallory] = (await registerUsers(gatewayA, 4)) as [
    RegisteredUser,
    RegisteredUser,
    RegisteredUser,
    RegisteredUser,
  ];
  const aliceApi = chatApi(gatewayA, alice.accessToken);
  const bobApi = chatApi(gatewayB, bob.accessToken);
  const malloryApi = chatApi(gatewayA, mallory.accessToken);

  const direct = await aliceApi.direct(bob.userId);
  t.equal(direct.status, 201, 'alice opens a direct conversation with bob');
  const directId = direct.body.id;

  await t.test('a pair has exactly one direct conversation', async (t) => {
    const again = await bobApi.direct(alice.userId);
    t.equal(again.status, 200);
    t.equal(again.body.id, directId);
  });

  await t.test('a message sent on one replica reaches a recipient on the other', async (t) => {
    const aliceSocket = await connectClient(t, gatewayA, { token: alice.accessToken });
    const bobSocket = await connectClient(t, gatewayB, { token: bob.accessToken });
    const clientMessageId = randomUUID();
    const ack = await aliceSocket.request('message:send', {
      conversationId: directId,
      clientMessageId,
      text: 'hello <b>bob</b> & co',
    });
    t.equal(ack.ok, true, 'the send is acknowledged');
    const [received] = await bobSocket.waitFor<MessageBody>(
      'message',
      (m) => m.clientMessageId === clientMessageId,
    );
    t.equal(received?.text, 'hello <b>bob</b> & co', 'text arrives as written');
    t.equal(received?.senderId, alice.userId);
    t.equal(received?.seq, 1);

    const reply = await bobSocket.request('message:send', {
      conversationId: directId,
      clientMessageId: randomUUID(),
      text: 'hi alice',
    });
    t.equal(reply.ok, true);
    const [back] = await aliceSocket.waitFor<MessageBody>('message', (m) => m.text === 'hi alice');
    t.equal(back?.seq, 2);
  });

  await t.test('a retried send collapses into the first message', async (t) => {
    const aliceSocket = await connectClient(t, gatewayA, { token: alice.accessToken });
    const clientMessageId = randomUUID();
    const first = await aliceApi.send(directId, 'only once', clientMessageId);
    const second = await aliceApi.send(directId, 'only once', clientMessageId);
    const viaSocket = await aliceSocket.request('message:send', {
      conversationId: directId,
      clientMessageId,
      text: 'only once',
    });
    t.equal(first.status, 201);
    t.equal(second.status, 200, 'the retry answers with the stored message');
    t.equal(second.body.id, first.body.id);
    t.equal((viaSocket.message as MessageBody).id, first.body.id);
    const all = await allMessages(gatewayA, alice.accessToken, directId);
    t.equal(all.filter((m) => m.clientMessageId === clientMessageId).length, 1, 'one stored message');
  });

  await t.test('a client cut off while 50 messages arrive recovers all 50 in order, once', async (t) => {
    const bobSocket = await connectClient(t, gatewayA, { token: bob.accessToken });
    const before = await allMessages(gatewayB, bob.accessToken, directId);
    const held = before.at(-1)?.seq ?? 0;
    bobSocket.close();

    const texts = Array.from({ length: 50 }, (_, i) => `missed ${i}`);
    for (const text of texts) t.equal((await aliceApi.send(directId, text)).status, 201);

    // Back on the other replica; alice keeps sending while bob catches up.
    const again = await connectClient(t, gatewayB, { token: bob.accessToken });
    const sync = again.request('sync', { conversations: { [directId]: held } });
    const live = Array.from({ length: 5 }, (_, i) => `live ${i}`);
    for (const text of live) await aliceApi.send(directId, text);
    const ack = await sync;
    t.equal(ack.ok, true, 'the sync is acknowledged');

    const received = await again.waitFor<MessageBody>('message', () => true, 55);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const seqs = again.events<MessageBody>('message').map((m) => m.seq);
    t.same(
      seqs,
      Array.from({ length: 55 }, (_, i) => held + 1 + i),
      'every missed and live message once, in sequence order',
    );
    t.same(
      received.slice(0, 50).map((m) => m.text),
      texts,
    );
  });

  await t.test(
    'a client reconnecting with its cursors catches up in order while messages keep coming',
    async (t) => {
      const held = (await allMessages(gatewayA, bob.accessToken, directId)).at(-1)?.seq ?? 0;
      const missed = Array.from({ length: 50 }, (_, i) => `while away ${i}`);
      for (const text of missed) t.equal((await aliceApi.send(directId, text)).status, 201);
      const live = (async () => {
        for (let i = 0; i < 10; i++) await aliceApi.send(directId, `during catch-up ${i}`);
      })();
      const bobSocket = await connectClient(t, gatewayA, {
        token: bob.accessToken,
        sync: { [directId]: held },
      });
      await live;
      const [synced] = await bobSocket.waitFor<{ conversations: Record<string, number> }>('synced');
      t.ok((synced?.conversations[directId] ?? 0) >= held + 50, 'synced reports how far it sent');
      await bobSocket.waitFor('message', () => true, 60);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const seqs = bobSocket.events<MessageBody>('message').map((m) => m.seq);
      t.same(
        seqs,
        Array.from({ length: 60 }, (_, i) => held + 1 + i),
        'all 60, in order, none twice',
      );
    },
  );

  await t.test('a cursor beyond the last message is taken back, and later messages arrive', async (t) => {
    const last = (await allMessages(gatewayA, bob.accessToken, directId)).at(-1)?.seq ?? 0;
    // As a client whose cursor outlived the store's last writes (or a wrong one) would connect.
    const bobSocket = await connectClient(t, gatewayB, {
      token: bob.accessToken,
      sync: { [directId]: last + 1000 },
    });
    const [synced] = await bobSocket.waitFor<{ conversations: Record<string, number> }>('synced');
    t.equal(synced?.conversations[directId], last, 'synced names the newest message there is');
    for (const text of ['after one', 'after two', 'after three']) {
      t.equal((await aliceApi.send(directId, text)).status, 201);
    }
    const received = await bobSocket.waitFor<MessageBody>('message', () => true, 3);
    t.same(
      received.map((m) => m.seq),
      [last + 1, last + 2, last + 3],
      'each reaches it, though numbered below its cursor',
    );
  });

  await t.test('receipts reach the conversation and show "read by N of M"', async (t) => {
    const group = await aliceApi.group('receipts', [bob.userId, carol.userId]);
    t.equal(group.status, 201);
    const bobSocket = await connectClient(t, gatewayB, { token: bob.accessToken });
    const aliceSocket = await connectClient(t, gatewayA, { token: alice.accessToken });
    const mallorySocket = await connectClient(t, gatewayA, { token: mallory.accessToken });
    const sent = await aliceApi.send(group.body.id, 'did you read this?');
    const ack = await bobSocket.request('receipt', {
      conversationId: group.body.id,
      kind: 'read',
      seq: sent.body.seq,
    });
    t.equal(ack.ok, true);
    await aliceSocket.waitFor('receipt', (r) => r.userId === bob.userId && r.kind === 'read');
    const summary = await aliceApi.call<{ of: number; readCount: number; readBy: { userId: string }[] }>(
      `/messages/${sent.body.id}/receipts`,
    );
    t.equal(summary.body.of, 2);
    t.equal(summary.body.readCount, 1);
    t.same(
      summary.body.readBy.map((r) => r.userId),
      [bob.userId],
    );
    const list = await chatApi(gatewayA, carol.accessToken).call<{
      items: { id: string; unreadCount: number }[];
    }>('/conversations');
    t.equal(list.body.items.find((c) => c.id === group.body.id)?.unreadCount, 1, 'carol has one unread');
    t.equal(mallorySocket.events('receipt').length, 0, 'an outsider sees no receipt');
  });

  await t.test('typing reaches the other members only, throttled', async (t) => {
    const group = await aliceApi.group('typing', [bob.userId]);
    const aliceSocket = await connectClient(t, gatewayA, { token: alice.accessToken });
    const bobSocket = await connectClient(t, gatewayB, { token: bob.accessToken });
    const carolSocket = await connectClient(t, gatewayB, { token: carol.accessToken });
    const first = await aliceSocket.request('typing', { conversationId: group.body.id });
    const second = await aliceSocket.request('typing', { conversationId: group.body.id });
    t.match(first, { ok: true, throttled: false });
    t.match(second, { ok: true, throttled: true }, 'a burst of typing events is throttled');
    const [typing] = await bobSocket.waitFor<{ userId: string; expiresAt: string }>('typing');
    t.equal(typing?.userId, alice.userId);
    t.ok(Date.parse(typing?.expiresAt ?? '') > Date.now() - 1_000, 'the indicator expires');
    const refused = await carolSocket.request('typing', { conversationId: group.body.id });
    t.match(refused, { ok: false, error: { code: 'CHAT_CONVERSATION_NOT_FOUND' } });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    t.equal(carolSocket.events('typing').length, 0, 'a non-member sees no typing');
    t.equal(aliceSocket.events('typing').length, 0, 'the typist does not see their own');
  });

  await t.test('presence reaches those who share a conversation and did not block', async (t) => {
    // dave shares a conversation with erin; frank shares none; gina shares one but blocked erin.
    const [dave, erin, frank, gina] = (await registerUsers(gatewayA, 4)) as RegisteredUser[] as [
      RegisteredUser,
      RegisteredUser,
      RegisteredUser,
      RegisteredUser,
    ];
    const shared = await chatApi(gatewayA, erin.accessToken).group('presence', [dave.userId, gina.userId]);
    t.equal(shared.status, 201);
    const blocked = await chatApi(gatewayA, gina.accessToken).call(`/contacts/blocked/${erin.userId}`, {
      method: 'PUT',
    });
    t.ok(blocked.status < 300, 'gina blocks erin');
    const daveSocket = await connectClient(t, gatewayA, { token: dave.accessToken });
    const frankSocket = await connectClient(t, gatewayB, { token: frank.accessToken });
    const ginaSocket = await connectClient(t, gatewayB, { token: gina.accessToken });
    const erinSocket = await connectClient(t, gatewayB, { token: erin.accessToken });
    const [online] = await daveSocket.waitFor<{ userId: string; status: string }>(
      'presence',
      (p) => p.userId === erin.userId && p.status === 'online',
    );
    t.ok(online);
    const typed = await erinSocket.request('typing', { conversationId: shared.body.id });
    t.equal(typed.ok, true);
    await daveSocket.waitFor('typing', (e) => e.userId === erin.userId);
    await erinSocket.request('presence:set', { status: 'away' });
    await daveSocket.waitFor('presence', (p) => p.userId === erin.userId && p.status === 'away');
    erinSocket.close();
    const [offline] = await daveSocket.waitFor<{ userId: string; status: string; lastSeen: string | null }>(
      'presence',
      (p) => p.userId === erin.userId && p.status === 'offline',
    );
    t.ok(offline?.lastSeen, 'offline carries last seen');
    const query = await daveSocket.request('presence:query', { userIds: [erin.userId, frank.userId] });
    t.same(
      (query.presence as { userId: string }[]).map((p) => p.userId),
      [erin.userId],
      'presence of a stranger is not revealed',
    );
    t.equal(frankSocket.events('presence').filter((p) => p.userId === erin.userId).length, 0);
    // The block may reach the gateway after gina connected: she is then told erin is offline and
    // never seen, which is what she is shown without it.
    const revealed = ginaSocket
      .events<{ userId: string; status: string; lastSeen: string | null }>('presence')
      .filter((p) => p.userId === erin.userId && (p.status !== 'offline' || p.lastSeen !== null));
    t.equal(revealed.length, 0, 'blocked');
    t.equal(ginaSocket.events('typing').length, 0, 'a blocked member does not see typing');
  });

  await t.test('a block takes back presence already shown, and an unblock shows it again', async (t) => {
    const [jack, kate] = (await registerUsers(gatewayA, 2)) as [RegisteredUser, RegisteredUser];
    t.equal((await chatApi(gatewayA, jack.accessToken).direct(kate.userId)).status, 201);
    const kateSocket = await connectClient(t, gatewayB, { token: kate.accessToken });
    const jackSocket = await connectClient(t, gatewayA, { token: jack.accessToken });
    await kateSocket.waitFor('presence', (p) => p.userId === jack.userId && p.status === 'online');

    const blocked = await chatApi(gatewayA, jack.accessToken).call(`/contacts/blocked/${kate.userId}`, {
      method: 'PUT',
    });
    t.ok(blocked.status < 300, 'jack blocks kate');
    const [hidden] = await kateSocket.waitFor<{ userId: string; status: string; lastSeen: string | null }>(
      'presence',
      (p) => p.userId === jack.userId && p.status === 'offline',
    );
    t.equal(hidden?.lastSeen, null, 'kate no longer sees jack, nor when he was last seen');
    await jackSocket.waitFor('presence', (p) => p.userId === kate.userId && p.status === 'offline');

    const unblocked = await chatApi(gatewayA, jack.accessToken).call(`/contacts/blocked/${kate.userId}`, {
      method: 'DELETE',
    });
    t.ok(unblocked.status < 300, 'jack unblocks kate');
    await kateSocket.waitFor('presence', (p) => p.userId === jack.userId && p.status === 'online', 2);
    await jackSocket.waitFor('presence', (p) => p.userId === kate.userId && p.status === 'online');
  });

  await t.test('a non-member is refused on every route and event', async (t) => {
    const sent = await aliceApi.send(directId, 'private');
    const messageId = sent.body.id;
    const routes: [string, string, unknown?][] = [
      ['GET', `/conversations/${directId}`],
      ['GET', `/conversations/${directId}/messages`],
      ['POST', `/conversations/${directId}/messages`, { clientMessageId: randomUUID(), text: 'x' }],
      ['POST', `/conversations/${directId}/receipts`, { kind: 'read', seq: 1 }],
      ['PATCH', `/conversations/${directId}`, { name: 'x' }],
      ['PUT', `/conversations/${directId}/settings`, { muted: true }],
      ['POST', `/conversations/${directId}/members`, { userIds: [mallory.userId] }],
      ['DELETE', `/conversations/${directId}/members/${alice.userId}`],
      ['PUT', `/conversations/${directId}/owner`, { userId: mallory.userId }],
      ['GET', `/messages/${messageId}`],
      ['PATCH', `/messages/${messageId}`, { text: 'x' }],
      ['DELETE', `/messages/${messageId}`],
      ['PUT', `/messages/${messageId}/reactions/%F0%9F%91%8D`],
      ['GET', `/messages/${messageId}/receipts`],
    ];
    for (const [method, path, body] of routes) {
      const res = await malloryApi.call(path, { method, body });
      t.equal(res.status, 404, `${method} ${path}`);
    }
    const unauthenticated = await chatApi(gatewayA, '').call(`/conversations/${directId}`);
    t.equal(unauthenticated.status, 401, 'no token, no access');
    const mallorySocket = await connectClient(t, gatewayB, { token: mallory.accessToken });
    const events: [string, unknown][] = [
      ['message:send', { conversationId: directId, clientMessageId: randomUUID(), text: 'x' }],
      ['sync', { conversations: { [directId]: 0 } }],
      ['typing', { conversationId: directId }],
      ['receipt', { conversationId: directId, kind: 'read', seq: 1 }],
    ];
    for (const [event, data] of events) {
      const ack = await mallorySocket.request(event, data);
      t.match(ack, { ok: false, error: { code: 'CHAT_CONVERSATION_NOT_FOUND' } }, event);
    }
    t.equal(mallorySocket.events('message').length, 0, 'nothing leaked to the outsider');
    const syncing = await connectClient(t, gatewayA, { token: mallory.accessToken, sync: { [directId]: 0 } });
    const [synced] = await syncing.waitFor<{ conversations: Record<string, number> }>('synced');
    t.same(
      synced,
      { conversations: {} },
      "a handshake naming others' conversations is answered, with nothing",
    );
    t.equal(syncing.events('message').length, 0, 'and sends nothing');
    const stored = await allMessages(gatewayA, alice.accessToken, directId);
    t.notOk(
      stored.some((m) => m.senderId === mallory.userId),
      'no message of the outsider was stored',
    );
  });

  await t.test('sends emitted at once reach chat in batches, each answered on its own', async (t) => {
    const chatMetrics = `http://127.0.0.1:${env.stack.ports.apps.chat.app}/metrics`;
    const batchRequests = async () => {
      const text = await (await fetch(chatMetrics)).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith('http_request_duration_seconds_count{'))
        .filter((line) => line.includes('route="/internal/v1/message-sends"'))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    };
    const aliceSocket = await connectClient(t, gatewayA, { token: alice.accessToken });
    const bobSocket = await connectClient(t, gatewayB, { token: bob.accessToken });
    const foreign = (await malloryApi.direct(carol.userId)).body.id;
    const before = await batchRequests();

    const texts = Array.from({ length: 30 }, (_, i) => `batched ${i}`);
    const send = (conversationId: string, text: string) =>
      aliceSocket.request('message:send', { conversationId, clientMessageId: randomUUID(), text });
    const [acks, intruding, blank] = await Promise.all([
      Promise.all(texts.map((text) => send(directId, text))),
      send(foreign, 'let me in'),
      send(directId, '\u200b '),
    ]);

    t.ok(
      acks.every((ack) => ack.ok),
      'every send is acknowledged',
    );
    const seqs = acks.map((ack) => (ack.message as MessageBody).seq).sort((a, b) => a - b);
    t.same(
      seqs,
      seqs.map((_, i) => seqs[0]! + i),
      'each got its own number, with no gap',
    );
    t.match(
      intruding,
      { ok: false, error: { code: 'CHAT_CONVERSATION_NOT_FOUND' } },
      'a foreign send fails alone',
    );
    t.match(
      blank,
      { ok: false, error: { code: 'VALIDATION_FAILED', errors: [{ path: 'text' }] } },
      'and so does a blank one, saying which field (as REST does)',
    );
    const extra = (await aliceSocket.socket
      .timeout(20_000)
      .emitWithAck(
        'message:send',
        { conversationId: directId, clientMessageId: randomUUID(), text: 'x' },
        'extra',
      )) as Ack;
    t.match(
      extra,
      { ok: false, error: { code: 'VALIDATION_FAILED' } },
      'an event with an extra argument is answered',
    );
    const requests = (await batchRequests()) - before;
    t.ok(requests > 0 && requests < 32, `32 sends took ${requests} requests to chat`);
    const received = await bobSocket.waitFor<MessageBody>('message', (m) => texts.includes(m.text), 30);
    t.same(
      received.map((m) => m.seq),
      seqs,
      'the other member receives them all, in order',
    );
    const theirs = await allMessages(gatewayA, mallory.accessToken, foreign);
    t.notOk(
      theirs.some((m) => m.text === 'let me in'),
      'nothing reached the foreign conversation',
    );
  });

  await t.test('the batch endpoint checks its envelope and each send', async (t) => {
    const viaGateway = (body: unknown) =>
      fetch(
        `http://127.0.0.1:${env.stack.ports.apps.gateway.daprHttp}/v1.0/invoke/chat/method/internal/v1/message-sends`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'dapr-api-token': env.stack.secrets.apps.gateway.daprApiToken,
          },
          body: JSON.stringify(body),
        },
      );
    for (const [what, body, code] of [
      ['no sends', { sends: [] }, 'VALIDATION_FAILED'],
      [
        'too many sends',
        { sends: Array.from({ length: 101 }, () => ({ userId: alice.userId })) },
        'VALIDATION_FAILED',
      ],
      [
        'a malformed user id',
        { sends: [{ userId: 'a/b', conversationId: directId, message: {} }] },
        'VALIDATION_FAILED',
      ],
      ['an unknown field', { sends: [], admin: true }, 'VALIDATION_FAILED'],
      ['not an object', 'sends', 'MALFORMED_BODY'],
    ] as const) {
      const res = await viaGateway(body);
      t.equal(res.status, 400, what);
      t.equal(((await res.json()) as { code?: string }).code, code, what);
    }
    const clientMessageId = randomUUID();
    const res = await viaGateway({
      sends: [
        { userId: alice.userId, conversationId: directId, message: { clientMessageId, text: 'straight in' } },
        { userId: mallory.userId, conversationId: directId, message: { clientMessageId, text: 'me too' } },
        { userId: alice.userId, conversationId: 'c_nope', message: { clientMessageId, text: 'where?' } },
        { userId: alice.userId, conversationId: directId, message: { text: 'no id' } },
      ],
    });
    t.equal(res.status, 200);
    const { results } = (await res.json()) as { results: { status: number; code?: string }[] };
    t.match(results, [
      { status: 201, message: { text: 'straight in', senderId: alice.userId } },
      { status: 404, code: 'CHAT_CONVERSATION_NOT_FOUND' },
      { status: 400, code: 'VALIDATION_FAILED' },
      { status: 400, code: 'VALIDATION_FAILED' },
    ]);
    const stored = await allMessages(gatewayA, alice.accessToken, directId);
    t.equal(
      stored.filter((m) => m.clientMessageId === clientMessageId).length,
      1,
      'only the valid send is stored',
    );
  });

  await t.test('hostile inputs are refused', async (t) => {
    const cases: [string, unknown][] = [
      ['an object where text belongs', { clientMessageId: randomUUID(), text: { $gt: '' } }],
      ['text over the limit', { clientMessageId: randomUUID(), text: 'x'.repeat(4_001) }],
      ['an unknown field', { clientMessageId: randomUUID(), text: 'hi', admin: true }],
      ['a malformed client message id', { clientMessageId: 'a b', text: 'hi' }],
      ['an array as body', [{ clientMessageId: randomUUID(), text: 'hi' }]],
    ];
    for (const [what, body] of cases) {
      const res = await aliceApi.call(`/conversations/${directId}/messages`, { body });
      t.equal(res.status, 400, what);
      t.equal((res.body as { code?: string }).code, 'VALIDATION_FAILED', what);
    }
    const badQuery = await aliceApi.call(`/conversations/${directId}/messages?limit=abc&x=1`);
    t.equal(badQuery.status, 400, 'a malformed query');
    const socket = await connectClient(t, gatewayA, { token: alice.accessToken });
    for (const [what, data] of [
      ['text as an object', { conversationId: directId, clientMessageId: randomUUID(), text: { a: 1 } }],
      [
        'unknown field',
        { conversationId: directId, clientMessageId: randomUUID(), text: 'x', role: 'owner' },
      ],
      ['oversize text', { conversationId: directId, clientMessageId: randomUUID(), text: 'y'.repeat(5_000) }],
      ['not an object', 'hello'],
    ] as const) {
      const ack = await socket.request('message:send', data);
      t.match(ack, { ok: false, error: { code: 'VALIDATION_FAILED' } }, `socket: ${what}`);
    }
    const unknown = await socket.request('admin:drop-tables', {});
    t.match(unknown, { ok: false, error: { code: 'REALTIME_UNKNOWN_EVENT' } });
    const huge = await socket.request('message:send', {
      conversationId: directId,
      clientMessageId: randomUUID(),
      text: 'z'.repeat(100_000),
    });
    t.match(huge, { ok: false, error: { code: 'REALTIME_EVENT_TOO_LARGE' } }, 'socket: a 100 KB event');
    const after = await socket.request('message:send', {
      conversationId: directId,
      clientMessageId: randomUUID(),
      text: 'after the refusals',
    });
    t.match(after, { ok: true, message: { text: 'after the refusals' } }, 'the socket still sends');
  });

  await t.test('a malformed id in a path is a 400; a well-formed id of nothing is a 404', async (t) => {
    const missingConversation = `c_${'0'.repeat(24)}`;
    const missingMessage = `m_${directId.slice(2)}_999999`;
    const malformed: [string, string, unknown?][] = [
      ['GET', '/conversations/nope'],
      ['PATCH', '/conversations/c_NOTHEX', { name: 'x' }],
      ['GET', '/conversations/c_1/messages'],
      ['POST', '/conversations/C_0123/messages', { clientMessageId: randomUUID(), text: 'x' }],
      ['POST', '/conversations/x/receipts', { kind: 'read', seq: 1 }],
      ['DELETE', `/conversations/x/members/${bob.userId}`],
      ['GET', '/messages/nope'],
      ['PATCH', `/messages/${directId}`, { text: 'x' }],
      ['DELETE', '/messages/m_1'],
      ['PUT', '/messages/m_x_1/reactions/%F0%9F%91%8D'],
      ['GET', '/messages/nope/receipts'],
    ];
    for (const [method, path, body] of malformed) {
      const res = await aliceApi.call(path, { method, body });
      t.equal(res.status, 400, `${method} ${path}`);
      t.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
      t.match(res.body, { code: 'VALIDATION_FAILED', errors: [{ path: /^params\./ }] }, `${method} ${path}`);
    }
    const noToken = await chatApi(gatewayA, '').call('/conversations/nope');
    t.equal(noToken.status, 401, 'the token is checked before the id');
    const conversation = await aliceApi.call(`/conversations/${missingConversation}`);
    t.match(conversation, { status: 404, body: { code: 'CHAT_CONVERSATION_NOT_FOUND' } });
    const messageRes = await aliceApi.call(`/messages/${missingMessage}`);
    t.match(messageRes, { status: 404, body: { code: 'CHAT_MESSAGE_NOT_FOUND' } });
  });

  await t.test('a socket flooding events is slowed down, not cut off', async (t) => {
    const socket = await connectClient(t, gatewayA, { token: alice.accessToken });
    // Default budget: a burst of 60 events, then 20 per second.
    const acks = await Promise.all(
      Array.from({ length: 100 }, () => socket.request('presence:query', { userIds: [bob.userId] })),
    );
    const refused = acks.filter((a) => a.error?.code === 'RATE_LIMITED');
    t.ok(acks.filter((a) => a.ok).length >= 60, 'the burst is served');
    t.ok(refused.length >= 30, `the rest is refused (${refused.length} of 100)`);
    const waits = refused.map((a) => (a.error as { retryAfterMs?: number }).retryAfterMs ?? 0);
    t.ok(
      waits.every((ms) => ms > 0 && ms <= 1_000),
      'each refusal says how long to wait',
    );
    const unknown = await socket.request('admin:drop-tables', {});
    t.match(unknown, { ok: false, error: { code: 'REALTIME_UNKNOWN_EVENT' } }, 'answered once, as unknown');
    await new Promise((resolve) => setTimeout(resolve, Math.max(...waits) + 100));
    const after = await socket.request('message:send', {
      conversationId: directId,
      clientMessageId: randomUUID(),
      text: 'after the flood',
    });
    t.equal(after.ok, true, 'after the wait it was told, the socket is served again');
    t.equal(socket.socket.connected, true, 'still connected');
  });

  await t.test('the handshake checks the origin and the access token', async (t) => {
    t.equal(await refusalCode(gatewayA, { token: alice.accessToken }), 'CONNECTED');
    t.equal(
      await refusalCode(gatewayA, { token: alice.accessToken, origin: 'https://evil.example' }),
      'REALTIME_ORIGIN_REFUSED',
    );
    t.equal(
      await refusalCode(gatewayA, { token: alice.accessToken, origin: '' }),
      'CONNECTED',
      'a native client sends no Origin: its token is what counts',
    );
    t.equal(await refusalCode(gatewayA, { origin: '' }), 'AUTH_TOKEN_MISSING');
    t.equal(await refusalCode(gatewayB, {}), 'AUTH_TOKEN_MISSING');
    t.equal(await refusalCode(gatewayB, { token: { $ne: null } }), 'AUTH_TOKEN_MISSING');
    t.equal(await refusalCode(gatewayB, { token: `${alice.accessToken}x` }), 'AUTH_TOKEN_INVALID');
    const cursors = Object.fromEntries(
      Array.from({ length: 1_001 }, () => [`c_${randomBytes(12).toString('hex')}`, 0]),
    );
    const tooMany = await refusal(gatewayA, { token: alice.accessToken, sync: cursors });
    t.equal(tooMany.code, 'VALIDATION_FAILED');
    t.match(tooMany.message, /at most 1000 conversations; send the others in sync events/);
    const malformed = await refusal(gatewayA, { token: alice.accessToken, sync: { [directId]: -1 } });
    t.match(malformed, { code: 'VALIDATION_FAILED', message: /maps conversation ids to sequence numbers/ });
  });

  await t.test('membership changes move sockets in and out of the conversation', async (t) => {
    const group = await aliceApi.group('members', [bob.userId]);
    const carolSocket = await connectClient(t, gatewayB, { token: carol.accessToken });
    const added = await aliceApi.call(`/conversations/${group.body.id}/members`, {
      body: { userIds: [carol.userId] },
    });
    t.equal(added.status, 200);
    await carolSocket.waitFor('member:added', (e) => e.userId === carol.userId);
    await aliceApi.send(group.body.id, 'welcome carol');
    await carolSocket.waitFor<MessageBody>('message', (m) => m.text === 'welcome carol');
    const removed = await aliceApi.call(`/conversations/${group.body.id}/members/${carol.userId}`, {
      method: 'DELETE',
    });
    t.equal(removed.status, 204);
    await carolSocket.waitFor('member:removed', (e) => e.userId === carol.userId);
    await eventually(async () => {
      const res = await chatApi(gatewayA, carol.accessToken).history(group.body.id);
      return res.status === 404 ? true : undefined;
    });
    await aliceApi.send(group.body.id, 'carol is gone');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    t.notOk(
      carolSocket.events<MessageBody>('message').some((m) => m.text === 'carol is gone'),
      'a removed member receives nothing more',
    );
  });

  await t.test(
    'a reconnecting socket joins the conversations its user holds now, and no others',
    async (t) => {
      const [owner, joiner, leaver] = (await registerUsers(gatewayA, 3)) as [
        RegisteredUser,
        RegisteredUser,
        RegisteredUser,
      ];
      const ownerApi = chatApi(gatewayA, owner.accessToken);
      const group = await ownerApi.group('reconnect', [leaver.userId]);
      // Both hold a socket before the change, so the handshake lists are read once before it.
      const joinerBefore = await connectClient(t, gatewayA, { token: joiner.accessToken });
      const leaverBefore = await connectClient(t, gatewayB, { token: leaver.accessToken });
      await ownerApi.send(group.body.id, 'before');
      await leaverBefore.waitFor<MessageBody>('message', (m) => m.text === 'before');
      const added = await ownerApi.call(`/conversations/${group.body.id}/members`, {
        body: { userIds: [joiner.userId] },
      });
      t.equal(added.status, 200);
      const removed = await ownerApi.call(`/conversations/${group.body.id}/members/${leaver.userId}`, {
        method: 'DELETE',
      });
      t.equal(removed.status, 204);
      joinerBefore.close();
      leaverBefore.close();

      const joinerAfter = await connectClient(t, gatewayB, { token: joiner.accessToken });
      const leaverAfter = await connectClient(t, gatewayA, { token: leaver.accessToken });
      const sent = await joinerAfter.request('message:send', {
        conversationId: group.body.id,
        clientMessageId: randomUUID(),
        text: 'after',
      });
      t.equal(sent.ok, true, 'the added member sends on the new socket');
      await joinerAfter.waitFor<MessageBody>('message', (m) => m.text === 'after');
      const refused = await leaverAfter.request('message:send', {
        conversationId: group.body.id,
        clientMessageId: randomUUID(),
        text: 'still here?',
      });
      t.equal(refused.ok, false, 'the removed member cannot send on the new socket');
      await ownerApi.send(group.body.id, 'owner after');
      await joinerAfter.waitFor<MessageBody>('message', (m) => m.text === 'owner after');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      t.notOk(
        leaverAfter
          .events<MessageBody>('message')
          .some((m) => m.text === 'after' || m.text === 'owner after'),
        'the removed member receives nothing on the new socket',
      );
    },
  );

  await t.test(
    'a message sent while Redis is away is acknowledged, then delivered once it is back',
    async (t) => {
      const aliceSocket = await connectClient(t, gatewayA, { token: alice.accessToken });
      const bobSocket = await connectClient(t, gatewayB, { token: bob.accessToken });
      // SIGKILL: the broker of pub/sub and the adapter's channel are gone without a word.
      await env.stack.crash('redis');
      const clientMessageId = randomUUID();
      const ack = await aliceSocket.request('message:send', {
        conversationId: directId,
        clientMessageId,
        text: 'sent while the broker was away',
      });
      t.equal(ack.ok, true, 'stored, and its event kept to be published: the send is acknowledged');
      await env.stack.restart('redis');
      const back = Date.now();
      const [received] = await bobSocket.waitFor<MessageBody>(
        'message',
        (m) => m.clientMessageId === clientMessageId,
        1,
        120_000,
      );
      t.comment(`delivered ${Date.now() - back} ms after Redis was back`);
      t.equal(received?.text, 'sent while the broker was away', 'delivered live once Redis was back');
      const stored = (await allMessages(gatewayB, bob.accessToken, directId)).filter(
        (m) => m.clientMessageId === clientMessageId,
      );
      t.equal(stored.length, 1, 'stored once');
    },
  );

  // Last: it kills the second replica.
  await t.test('users of a replica that crashed do not stay online', async (t) => {
    const [hank, iris] = (await registerUsers(gatewayA, 2)) as [RegisteredUser, RegisteredUser];
    t.equal((await chatApi(gatewayA, hank.accessToken).direct(iris.userId)).status, 201);
    const hankSocket = await connectClient(t, gatewayA, { token: hank.accessToken });
    await connectClient(t, gatewayB, { token: iris.accessToken });
    await hankSocket.waitFor('presence', (p) => p.userId === iris.userId && p.status === 'online');
    // SIGKILL: the replica closes nothing and announces nothing.
    await env.stack.crash('gateway-2');
    const [offline] = await hankSocket.waitFor<{ userId: string; status: string; lastSeen: string | null }>(
      'presence',
      (p) => p.userId === iris.userId && p.status === 'offline',
      1,
      120_000,
    );
    t.ok(offline?.lastSeen, "the survivor announces the crashed replica's users offline");
    const query = await hankSocket.request('presence:query', { userIds: [iris.userId] });
    t.match(query.presence, [{ userId: iris.userId, status: 'offline', devices: 0 }]);
  });
});
