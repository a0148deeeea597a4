import t from 'tap';
import { chatApi, registerUsers } from '../support/chat';
import { startTestStack } from '../support/stack';
import type { RegisteredUser } from '../support/users';

/** The send budget of this stack: small, so a burst of edits meets it. */
const SEND_BURST = 5;

// What one user may do to one message: edits spend from their send budget, and their reactions
// on it are limited.
t.test('limits on changing a message', async (t) => {
  const env = await startTestStack(t, {
    env: { RATE_LIMIT_SEND_BURST: String(SEND_BURST), RATE_LIMIT_SENDS_PER_MINUTE: '1000' },
  });
  const gateway = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;

  await t.test('edits spend from the send budget, and past it are refused before chat', async (t) => {
    const [ada, bob] = (await registerUsers(gateway, 2)) as [RegisteredUser, RegisteredUser];
    const adaApi = chatApi(gateway, ada.accessToken);
    const group = await adaApi.group('edits', [bob.userId]);
    const sent = await adaApi.send(group.body.id, 'draft');
    t.equal(sent.status, 201);
    const edit = (text: string) =>
      adaApi.call(`/messages/${sent.body.id}`, { method: 'PATCH', body: { text } });

    for (let i = 1; i < SEND_BURST; i++) t.equal((await edit(`draft ${i}`)).status, 200, `edit ${i}`);
    const refused = await edit('one too many');
    t.equal(refused.status, 429);
    t.equal(refused.body.code, 'RATE_LIMITED');
    t.ok(Number(refused.headers.get('retry-after')) >= 1, 'Retry-After says when to come back');
    const read = await chatApi(gateway, bob.accessToken).call<{ text: string; edits: unknown[] }>(
      `/messages/${sent.body.id}`,
    );
    t.equal(read.body.text, `draft ${SEND_BURST - 1}`, 'the refused edit changed nothing');
    t.equal(read.body.edits.length, SEND_BURST - 1);
    t.equal((await adaApi.send(group.body.id, 'and a send')).status, 429, 'the sends are spent too');
  });

  await t.test('one user leaves at most 20 reactions on a message', async (t) => {
    const [ada, bob] = (await registerUsers(gateway, 2)) as [RegisteredUser, RegisteredUser];
    const adaApi = chatApi(gateway, ada.accessToken);
    const bobApi = chatApi(gateway, bob.accessToken);
    const group = await adaApi.group('reactions', [bob.userId]);
    const sent = await adaApi.send(group.body.id, 'react to me');
    const react = (token: string) =>
      bobApi.call(`/messages/${sent.body.id}/reactions/${encodeURIComponent(token)}`, { method: 'PUT' });

    for (let i = 0; i < 20; i++) t.equal((await react(`notanemoji${i}`)).status, 200);
    const refused = await react('notanemoji20');
    t.equal(refused.status, 409);
    t.equal(refused.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    t.match(refused.body, { code: 'CHAT_TOO_MANY_REACTIONS', per: 'user', limit: 20 });
    const read = await adaApi.call<{ reactions: { userIds: string[] }[] }>(`/messages/${sent.body.id}`);
    t.equal(read.body.reactions.length, 20, 'the refused one is not stored');
    const joined = await adaApi.call(`/messages/${sent.body.id}/reactions/notanemoji20`, { method: 'PUT' });
    t.equal(joined.status, 200, 'another user has room of their own');
  });
});
