import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { eventually, startTestStack } from '../support/stack';
import { type RegisteredUser, callJson, registerAndLogin } from '../support/users';

interface Figures {
  activeUsers: number;
  messages: number;
  newConversations: number;
  mediaUploaded: number;
  notifications: Record<string, { delivered: number; failed: number; deliveryRate: number | null }>;
  latency: Record<'delivered' | 'read', { count: number; medianMs: number | null; p95Ms: number | null }>;
}

interface Report {
  days: (Figures & {
    day: string;
    messagesPerConversation: { conversationId: string; messages: number }[];
  })[];
  totals: Figures;
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

// A scripted conversation through the gateway; analytics hears it through its own sidecar.
t.test('analytics figures follow a scripted conversation, for admins only', async (t) => {
  const env = await startTestStack(t, { env: { BCRYPT_COST: '4' } });
  const origin = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const api = `${origin}/api/v1`;
  const mongo = new MongoClient(`mongodb://127.0.0.1:${env.stack.ports.mongo}/`);
  t.teardown(() => mongo.close());

  const [admin, bob, carol] = (await Promise.all([
    registerAndLogin(origin),
    registerAndLogin(origin),
    registerAndLogin(origin),
  ])) as [RegisteredUser, RegisteredUser, RegisteredUser];
  // Operators make an administrator through the operator API, with the operator token.
  const grant = (roles: unknown, token = env.stack.secrets.opsToken) =>
    fetch(`${api}/ops/users/${admin.username}/roles`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ roles }),
    });
  t.equal((await grant(['admin'], bob.accessToken)).status, 401, 'a user token cannot grant roles');
  const badRole = await grant(['root']);
  t.equal(badRole.status, 400, 'only known roles are granted');
  t.equal(((await badRole.json()) as { code: string }).code, 'VALIDATION_FAILED');
  const oddName = await fetch(`${api}/ops/users/a%2F..%2Fx/roles`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${env.stack.secrets.opsToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ roles: ['admin'] }),
  });
  t.equal(oddName.status, 400, 'a path that is not a username is refused');
  const granted = await grant(['admin']);
  t.equal(granted.status, 200);
  t.same(((await granted.json()) as { roles: string[] }).roles, ['admin']);
  const session = await callJson<{ accessToken: string }>(`${api}/sessions`, {
    body: { login: admin.username, password: admin.password },
  });
  t.equal(session.status, 201);
  const adminToken = session.body.accessToken;
  const range = `from=${day(-1)}&to=${day(1)}`;
  const report = async () => {
    const res = await callJson<Report>(`${api}/analytics/daily?${range}`, { token: adminToken });
    t.equal(res.status, 200);
    return res.body;
  };

  await t.test('only administrators may read the figures', async (t) => {
    const res = await callJson<{ code: string }>(`${api}/analytics/daily?${range}`, {
      token: carol.accessToken,
    });
    t.equal(res.status, 403);
    t.equal(res.body.code, 'ANALYTICS_ADMIN_REQUIRED');
    t.equal((await callJson(`${api}/analytics/daily?${range}`)).status, 401);
    const bad = await callJson(`${api}/analytics/daily?from=${day(0)}&to=${day(-2)}`, { token: adminToken });
    t.equal(bad.status, 400, 'a range that ends before it starts');
    const impossible = await callJson<{ code: string }>(
      `${api}/analytics/daily?from=2026-02-31&to=2026-03-05`,
      {
        token: adminToken,
      },
    );
    t.equal(impossible.status, 400, 'a day the calendar lacks, not read as 3 March');
    t.equal(impossible.body.code, 'VALIDATION_FAILED');
  });

  await t.test(
    'messages, conversations, active users and latencies move with the conversation',
    async (t) => {
      const before = (await report()).totals;
      const group = await callJson<{ id: string }>(`${api}/conversations`, {
        token: admin.accessToken,
        body: { type: 'group', name: 'Metrics', memberIds: [bob.userId] },
      });
      t.equal(group.status, 201);
      const conversationId = group.body.id;
      const secret = `confidential${randomUUID().slice(0, 8)}`;
      for (const text of [`hello ${secret}`, 'how are you?', 'see you soon']) {
        const sent = await callJson(`${api}/conversations/${conversationId}/messages`, {
          token: admin.accessToken,
          body: { clientMessageId: randomUUID(), text },
        });
        t.equal(sent.status, 201);
      }
      for (const kind of ['delivered', 'read']) {
        const receipt = await callJson(`${api}/conversations/${conversationId}/receipts`, {
          token: bob.accessToken,
          body: { kind, seq: 3 },
        });
        t.equal(receipt.status, 200, `${kind} receipt`);
      }

      const after = await eventually(async () => {
        const r = await report();
        // Each receipt is its own event, applied in any order: wait for both.
        return r.totals.messages >= before.messages + 3 &&
          r.totals.latency.read.count >= before.latency.read.count + 3 &&
          r.totals.latency.delivered.count >= before.latency.delivered.count + 3
          ? r
          : undefined;
      });
      t.equal(after.totals.messages, before.messages + 3, 'three more messages in total');
      t.equal(after.totals.newConversations, before.newConversations + 1, 'one new conversation');
      t.ok(after.totals.activeUsers >= 2, 'the sender and the reader were active');
      const perConversation = after.days.flatMap((d) => d.messagesPerConversation);
      t.same(
        perConversation.filter((c) => c.conversationId === conversationId),
        [{ conversationId, messages: 3 }],
        'messages per conversation',
      );
      t.ok(
        after.totals.latency.delivered.count >= before.latency.delivered.count + 3,
        'delivery times measured',
      );
      t.type(after.totals.latency.read.medianMs, 'number', 'a median time to read');
      t.type(after.totals.latency.read.p95Ms, 'number', 'a 95th percentile time to read');

      // Privacy: the analytics database holds counts and ids, never message text.
      const db = mongo.db('parley_analytics');
      for (const { name } of await db.listCollections().toArray()) {
        if (name === 'dead_letters') continue;
        const docs = await db.collection(name).find({}).toArray();
        t.notMatch(JSON.stringify(docs), new RegExp(secret), `${name} holds no message text`);
      }
    },
  );

  await t.test('media uploads and notification outcomes per channel are counted', async (t) => {
    const before = (await report()).totals;
    const media = {
      url: `http://127.0.0.1:${env.stack.ports.apps.media.daprHttp}/v1.0/publish/pubsub`,
      headers: {
        'dapr-api-token': env.stack.secrets.apps.media.daprApiToken,
        'content-type': 'application/json',
      },
    };
    const publish = async (topic: string, data: object) => {
      const res = await fetch(`${media.url}/${topic}`, {
        method: 'POST',
        headers: media.headers,
        body: JSON.stringify(data),
      });
      t.equal(res.status, 204, `published ${topic}`);
    };
    const occurredAt = new Date().toISOString();
    await publish('media.uploaded', {
      mediaId: randomUUID(),
      uploaderId: bob.userId,
      sizeBytes: 2048,
      contentType: 'image/png',
      occurredAt,
    });
    for (const outcome of ['delivered', 'delivered', 'delivered', 'failed']) {
      await publish('notification.outcome', {
        notificationId: randomUUID(),
        userId: bob.userId,
        channel: 'email',
        outcome,
        occurredAt,
      });
    }
    const emailBefore = before.notifications.email ?? { delivered: 0, failed: 0 };
    const after = await eventually(async () => {
      const r = (await report()).totals;
      const email = r.notifications.email;
      return r.mediaUploaded > before.mediaUploaded &&
        email &&
        email.delivered + email.failed >= emailBefore.delivered + emailBefore.failed + 4
        ? r
        : undefined;
    });
    t.equal(after.mediaUploaded, before.mediaUploaded + 1);
    t.equal(after.notifications.email?.delivered, emailBefore.delivered + 3);
    t.equal(after.notifications.email?.failed, emailBefore.failed + 1);
    if (emailBefore.delivered + emailBefore.failed === 0)
      t.equal(after.notifications.email?.deliveryRate, 0.75);
  });
});
