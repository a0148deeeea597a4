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

  /**
   * Sends as a client does: an answer that is not a success (a timeout, a 5xx on a loaded machine)
   * is retried with the same client message id until one succeeds.
   */
  const sendUntilAnswered = async (gateway: string, token: string, text: string, clientMessageId: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await chatApi(gateway, token).send(conversationId, text, clientMessageId);
        if (res.status === 200 || res.status === 201) return res;
        if (attempt >= 10) return res;
      } catch (err) {
        if (attempt >= 10) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  };

  const sendAll = async (sender: RegisteredUser, index: number) => {
    const ids = Array.from({ length: PER_SENDER }, (_, i) => `${index}-${i}-${randomUUID()}`);
    const outcomes: { first: number; firstId: string; retry?: number; retryId?: string }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        const clientMessageId = ids[i] as string;
        const gateway = gateways[i % 2] as string;
        const text = `from ${index}: ${i}`;
        const first = await sendUntilAnswered(gateway, sender.accessToken, text, clientMessageId);
        const outcome: (typeof outcomes)[number] = { first: first.status, firstId: first.body.id };
        // Every tenth send is sent again, as a client does after a lost answer.
        if (i % 10 === 0) {
          const retry = await sendUntilAnswered(gateway, sender.accessToken, text, clientMessageId);
          outcome.retry = retry.status;
          outcome.retryId = retry.body.id;
        }
        outcomes.push(outcome);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return outcomes;
  };
  const outcomes = (await Promise.all(senders.map(sendAll))).flat();
  t.equal(outcomes.filter((o) => o.first === 200 || o.first === 201).length, TOTAL, 'every send succeeded');
  const retried = outcomes.filter((o) => o.retry !== undefined);
  t.equal(retried.length, TOTAL / 10);
  t.ok(
    retried.every((o) => o.retry === 200 && o.retryId === o.firstId),
    'each repeated send answered 200 with the message the first one stored',
  );

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
