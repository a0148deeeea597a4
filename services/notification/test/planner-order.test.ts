import t from 'tap';
import type { Contact, Directory, MemberView } from '../src/delivery/directory';
import { Planner } from '../src/delivery/planner';
import { deliveryId, openDeliveryStore } from '../src/delivery/store';
import { privateClient } from './ferretdb';

const contact: Contact = {
  userId: 'u_bob',
  displayName: 'Bob',
  email: 'bob@example.test',
  emailVerified: true,
  phone: null,
  timeZone: null,
};
const view: MemberView = { id: 'c_1', type: 'direct', name: null, me: { readSeq: 0, muted: false } };
const directory: Directory = {
  contact: async () => contact,
  displayName: async () => 'Alice',
  conversationAs: async () => view,
};

t.test('a digest follows the conversation order whatever order the signals came in', async (t) => {
  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db('parley_notification_planner_test'));
  const messages = [3, 1, 2].map((seq) => ({
    messageId: `m_${seq}`,
    conversationId: 'c_1',
    seq,
    kind: 'direct' as const,
    urgent: true,
  }));
  for (const m of messages) {
    await store.deliveries.insertOne({
      _id: deliveryId(m.messageId, contact.userId),
      messageId: m.messageId,
      conversationId: m.conversationId,
      seq: m.seq,
      senderId: 'u_alice',
      senderName: 'Alice',
      snippet: `message ${m.seq}`,
      recipientId: contact.userId,
      kind: m.kind,
      urgent: m.urgent,
      createdAt: new Date(),
    } as never);
  }
  const planner = new Planner({
    store,
    directory,
    config: {
      PUBLIC_URL: 'http://127.0.0.1:1',
      NOTIFICATION_LINK_SECRET: 'x'.repeat(32),
      VAPID_PUBLIC_KEY: '',
    },
  });
  const plan = await planner.plan(contact.userId, 'email', messages);
  t.same(plan.deliver, ['m_1', 'm_2', 'm_3'], 'sent in sequence order, so the first message names the send');
});
