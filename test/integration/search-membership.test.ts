import { randomUUID } from 'node:crypto';
import t from 'tap';
import { eventually, startTestStack } from '../support/stack';
import { type RegisteredUser, callJson, registerAndLogin } from '../support/users';

interface SearchPage {
  found: number;
  hits: { id: string; conversationId: string; text: string; snippet: string }[];
}

// Messages travel the real event path: chat stores and publishes through its sidecar, Redis
// Streams carry the event, the search service's sidecar delivers it; queries go through the gateway.
t.test('search finds what members may read, and nothing else', async (t) => {
  const env = await startTestStack(t, { env: { BCRYPT_COST: '4' } });
  const api = () => `http://127.0.0.1:${env.stack.ports.apps.gateway.app}/api/v1`;
  const [alice, bob, mallory] = (await Promise.all([
    registerAndLogin(api().replace(/\/api\/v1$/, '')),
    registerAndLogin(api().replace(/\/api\/v1$/, '')),
    registerAndLogin(api().replace(/\/api\/v1$/, '')),
  ])) as [RegisteredUser, RegisteredUser, RegisteredUser];

  const search = async (user: RegisteredUser, params: Record<string, string | string[]>) => {
    const qs = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      for (const v of Array.isArray(value) ? value : [value]) qs.append(key, v);
    }
    return callJson<SearchPage>(`${api()}/search/messages?${qs}`, { token: user.accessToken });
  };
  const found = (user: RegisteredUser, q: string) =>
    eventually(async () => {
      const res = await search(user, { q });
      return res.status === 200 && res.body.found > 0 ? res.body : undefined;
    });
  const send = async (user: RegisteredUser, conversationId: string, text: string) => {
    const res = await callJson<{ id: string }>(`${api()}/conversations/${conversationId}/messages`, {
      token: user.accessToken,
      body: { clientMessageId: randomUUID(), text },
    });
    t.equal(res.status, 201, 'message sent');
    return res.body.id;
  };

  const group = await callJson<{ id: string }>(`${api()}/conversations`, {
    token: alice.accessToken,
    body: { type: 'group', name: 'Plans', memberIds: [bob.userId] },
  });
  t.equal(group.status, 201);
  const conversationId = group.body.id;
  const marker = `zeppelin${randomUUID().slice(0, 6)}`;
  const first = await send(alice, conversationId, `The ${marker} launch is on Friday`);

  await t.test('members find a message through the gateway, with a highlighted snippet', async (t) => {
    const page = await found(bob, marker);
    t.same(
      page.hits.map((h) => h.id),
      [first],
    );
    t.match(page.hits[0]?.snippet, new RegExp(`<mark>${marker}</mark>`));
    const byPrefix = await search(bob, { q: marker.slice(0, 7) });
    t.equal(byPrefix.body.found, 1, 'a prefix finds it');
  });

  await t.test('a non-member finds nothing, whatever filters they send', async (t) => {
    t.equal((await search(mallory, { q: marker })).body.found, 0, 'a plain query');
    const crafted = await search(mallory, { q: marker, conversationId });
    t.equal(crafted.status, 200);
    t.equal(crafted.body.found, 0, "a filter naming the other conversation's id");
    const widened = await search(mallory, { q: `${marker} OR launch`, conversationId: [conversationId] });
    t.equal(widened.body.found, 0, 'boolean operators');
    const raw = await search(mallory, { q: marker, filter_by: `conversationId:=${conversationId}` });
    t.equal(raw.status, 400, 'a raw engine filter is refused');
    const nested = await callJson(`${api()}/search/messages?q=${marker}&conversationId[$ne]=x`, {
      token: mallory.accessToken,
    });
    t.equal(nested.status, 400, 'an object where an id belongs is refused');
    const anonymous = await callJson(`${api()}/search/messages?q=${marker}`);
    t.equal(anonymous.status, 401, 'no token, no search');
  });

  await t.test('a malformed sender or conversation id is refused', async (t) => {
    const malformed: Record<string, string | string[]>[] = [
      { senderId: 'x' },
      { senderId: [alice.userId, 'x'] },
      { conversationId: 'x' },
    ];
    for (const params of malformed) {
      const res = await search(bob, { q: marker, ...params });
      t.equal(res.status, 400, JSON.stringify(params));
      t.match(res.body, { code: 'VALIDATION_FAILED' });
    }
    const bySender = await search(bob, { q: marker, senderId: alice.userId, conversationId });
    t.equal(bySender.status, 200);
    t.equal(bySender.body.found, 1, 'well-formed ids still filter');
  });

  await t.test('CJK and emoji text is found as users type it', async (t) => {
    const cjk = await send(alice, conversationId, `明天我们在北京见面 ${marker}`);
    const ja = await send(alice, conversationId, '東京タワーに行きました');
    const emoji = await send(alice, conversationId, 'Ship it 🚀🎉');
    t.same(
      (await found(bob, '北京')).hits.map((h) => h.id),
      [cjk],
    );
    t.same(
      (await found(bob, 'タワー')).hits.map((h) => h.id),
      [ja],
    );
    t.same(
      (await found(bob, '🚀')).hits.map((h) => h.id),
      [emoji],
    );
  });

  await t.test('an edit is searchable by its new text and a deletion disappears', async (t) => {
    const id = await send(alice, conversationId, 'quarterly numbers attached');
    await found(bob, 'quarterly');
    const edited = await callJson(`${api()}/messages/${id}`, {
      method: 'PATCH',
      token: alice.accessToken,
      body: { text: 'annual numbers attached' },
    });
    t.equal(edited.status, 200);
    await found(bob, 'annual');
    t.equal((await search(bob, { q: 'quarterly' })).body.found, 0, 'the old text is gone');
    const deleted = await callJson(`${api()}/messages/${id}`, { method: 'DELETE', token: alice.accessToken });
    t.equal(deleted.status, 200);
    await eventually(async () => ((await search(bob, { q: 'annual' })).body.found === 0 ? true : undefined));
  });

  await t.test('a former member finds nothing from the conversation, at once', async (t) => {
    const left = await callJson(`${api()}/conversations/${conversationId}/members/${bob.userId}`, {
      method: 'DELETE',
      token: bob.accessToken,
    });
    t.equal(left.status, 204);
    // No waiting: the membership is asked of chat at query time.
    t.equal((await search(bob, { q: marker })).body.found, 0, 'right after leaving');
    const later = `afterleaving${randomUUID().slice(0, 6)}`;
    await send(alice, conversationId, later);
    await found(alice, later);
    t.equal((await search(bob, { q: later })).body.found, 0, 'a message sent after leaving');
    t.equal((await search(bob, { q: '', conversationId })).body.found, 0, 'listing by conversation');
  });

  await t.test('people are found by username, display name and email, without emails', async (t) => {
    const byUsername = await eventually(async () => {
      const res = await callJson<{ people: Record<string, unknown>[] }>(
        `${api()}/search/people?q=${alice.username.slice(0, 8)}`,
        { token: bob.accessToken },
      );
      return res.body.people?.some((p) => p.id === alice.userId) ? res.body.people : undefined;
    });
    t.ok(byUsername.length > 0);
    const people = (q: string) =>
      callJson<{ people: Record<string, unknown>[] }>(`${api()}/search/people?q=${encodeURIComponent(q)}`, {
        token: bob.accessToken,
      });
    const byEmail = await people(alice.email);
    t.equal(byEmail.status, 200);
    t.ok(
      byEmail.body.people.some((p) => p.id === alice.userId),
      'by the whole email address',
    );
    t.notMatch(
      JSON.stringify([...byUsername, ...byEmail.body.people]),
      /@example\.test/,
      'no email in results',
    );
  });

  await t.test('the index survives a restart of the search service', async (t) => {
    const before = (await search(alice, { q: marker })).body.hits.map((h) => h.id);
    t.ok(before.includes(first));
    await env.stack.restart('search', 'search-dapr');
    const after = (await search(alice, { q: marker })).body.hits.map((h) => h.id);
    t.same(after, before, 'the same hits, without a rebuild');
  });
});
