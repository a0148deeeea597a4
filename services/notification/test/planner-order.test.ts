import t from 'tap';
import { openDeliveryStore } from '../src/delivery/store';
import { privateClient } from './ferretdb';
import { contact, insertDeliveries, plannerFor } from './planner-fixtures';

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
  await insertDeliveries(
    store,
    messages.map((m) => m.seq),
    new Date(),
  );
  const planner = plannerFor(store);
  const plan = await planner.plan(contact.userId, 'email', messages);
  t.same(plan.deliver, ['m_1', 'm_2', 'm_3'], 'sent in sequence order, so the first message names the send');
});
