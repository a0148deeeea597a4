import { MongoClient } from 'mongodb';
import t from 'tap';
import { chatApi } from '../support/chat';
import { emailsTo } from '../support/mailbox';
import { eventually, startTestStack } from '../support/stack';
import { callJson, registerAndLogin } from '../support/users';

/** Concurrent creations fired at one group: enough to keep the notification service busy. */
const FLOOD = 120;

// A flood of email invites to one group through the gateway and its sidecar, which retries a slow
// call: each answer the client gets must match what was stored and sent.
t.test('concurrent invites: every answer is one stored invite and one email', async (t) => {
  const env = await startTestStack(t, { env: { BCRYPT_COST: '4' } });
  const gateway = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const mongo = new MongoClient(`mongodb://127.0.0.1:${env.stack.ports.mongo}/`);
  t.teardown(() => mongo.close());
  const invites = mongo
    .db('parley_notification')
    .collection<{ _id: string; conversationId: string }>('invites');

  const owner = await registerAndLogin(gateway);
  const group = await chatApi(gateway, owner.accessToken).call<{ id: string }>('/conversations', {
    body: { type: 'group', name: 'flood' },
  });
  const tag = Date.now().toString(36);
  const address = (i: number) => `flood${i}.${tag}@example.test`;
  const create = (i: number) =>
    callJson<{ id?: string; code?: string }>(`${gateway}/api/v1/invites`, {
      body: { conversationId: group.body.id, email: address(i) },
      token: owner.accessToken,
      headers: { 'x-request-id': `flood-${tag}-${i}` },
    });

  const first = await Promise.all(Array.from({ length: FLOOD }, (_, i) => create(i)));
  const tally: Record<string, number> = {};
  for (const answer of first) {
    const key = `${answer.status} ${answer.body.code ?? ''}`.trim();
    tally[key] = (tally[key] ?? 0) + 1;
  }
  t.comment(`first answers: ${JSON.stringify(tally)}`);
  t.same(
    first.filter((a) => a.status === 200).map((a) => a.body.id),
    [],
    'no first try of a new address is answered "already open"',
  );

  // A 503 may only mean "repeat it": the same request again gets its invite as made.
  const ids = new Map<number, string>();
  for (const [i, answer] of first.entries()) {
    let final = answer;
    for (let attempt = 0; final.status === 503 && attempt < 3; attempt++) final = await create(i);
    t.equal(final.status, 201, `address ${i}: made (after ${answer.status})`);
    if (final.body.id) ids.set(i, final.body.id);
  }

  const stored = await invites.find({ conversationId: group.body.id }).toArray();
  t.equal(stored.length, FLOOD, 'one stored invite per address');
  t.same([...new Set(ids.values())].sort(), stored.map((s) => s._id).sort(), 'each answer names one');

  const mailPort = env.stack.ports.mailWeb;
  await eventually(async () => {
    const counts = await Promise.all(
      Array.from({ length: FLOOD }, async (_, i) => (await emailsTo(mailPort, address(i))).length),
    );
    return counts.every((n) => n >= 1) ? counts : undefined;
  }, 120_000);
  // Settle a moment: a duplicate would come soon after the first.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const counts = await Promise.all(
    Array.from({ length: FLOOD }, async (_, i) => (await emailsTo(mailPort, address(i))).length),
  );
  t.same(
    counts.filter((n) => n !== 1),
    [],
    'exactly one email per address',
  );
});
