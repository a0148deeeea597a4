import { randomUUID } from 'node:crypto';
import t from 'tap';
import { type MessageBody, allMessages, chatApi, registerUsers } from '../support/chat';
import { connectClient } from '../support/sockets';
import { startTestStack } from '../support/stack';
import type { RegisteredUser } from '../support/users';

const SENDERS = 5;
const PER_SENDER = 200;
const TOTAL = SENDERS * PER_SENDER;
/** Sends in flight at once per sender. */
const CONCURRENCY = 8;

// Per-conversation sequence numbers under load: concurrent senders on both gateway replicas,
// some sends retried, and a listener that must see every message once, in order.
t.test('1,000 messages from concurrent senders get gapless sequence numbers', async (t) => {
  const env = await startTestStack(t, {}, 2);
  const gateways = [
    `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`,
    `http://127.0.0.1:${env.stack.ports.extraGateways[0]?.app}`,
  ] as const;
  const users = (await registerUsers(gateways[0], SENDERS + 1)) as RegisteredUser[];
  const [owner, ...senders] = users as [RegisteredUser, ...RegisteredUser[]];
  const group = await chatApi(gateways[0], owner.accessToken).group(
    'load',
    senders.map((s) => s.userId),
  );
  t.equal(group.status, 201);
  const conversationId = group.body.id;
  const listener = await connectClient(t, gateways[1], { token: owner.accessToken });

  const sendAll = async (sender: RegisteredUser, index: number) => {
    const ids = Array.from({ length: PER_SENDER }, (_, i) => `${index}-${i}-${randomUUID()}`);
    const statuses: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        const clientMessageId = ids[i] as string;
        const api = chatApi(gateways[i % 2] as string, sender.accessToken);
        const res = await api.send(conversationId, `from ${index}: ${i}`, clientMessageId);
        statuses.push(res.status);
        // Every tenth send is retried, as a client does after a lost answer.
        if (i % 10 === 0)
          statuses.push((await api.send(conversationId, `from ${index}: ${i}`, clientMessageId)).status);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return statuses;
  };
  const statuses = (await Promise.all(senders.map(sendAll))).flat();
  t.equal(statuses.filter((s) => s === 201).length, TOTAL, 'each first send created a message');
  t.equal(statuses.filter((s) => s === 200).length, TOTAL / 10, 'each retry found the stored message');

  const stored = await allMessages(gateways[0], owner.accessToken, conversationId);
  t.equal(stored.length, TOTAL, 'exactly one stored message per send');
  t.same(
    stored.map((m) => m.seq),
    Array.from({ length: TOTAL }, (_, i) => i + 1),
    'sequence numbers run 1..1000 without gaps or repeats',
  );
  t.equal(new Set(stored.map((m) => m.clientMessageId)).size, TOTAL);

  await listener.waitFor<MessageBody>('message', () => true, TOTAL, 120_000);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  t.same(
    listener.events<MessageBody>('message').map((m) => m.seq),
    Array.from({ length: TOTAL }, (_, i) => i + 1),
    'a listener on the other replica got every message once, in order',
  );
});
