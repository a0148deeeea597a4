import t from 'tap';
import { openDeliveryStore } from '../src/delivery/store';
import { privateClient } from './ferretdb';
import { contact, insertDeliveries, plannerFor } from './planner-fixtures';

t.test('a step is held back until the delay the recipient has now', async (t) => {
  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db('parley_notification_planner_delays_test'));
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const planner = plannerFor(store, () => new Date(now));
  await insertDeliveries(store, [1, 2], new Date(now));
  // The workflow timed the email with 5 s; the recipient has since asked for 300 s.
  await store.preferences.insertOne({
    _id: contact.userId,
    delays: { push: 60, email: 300, sms: 1800 },
    updatedAt: new Date(now),
  });
  const message = (seq: number, arrivedAt: number) => ({
    messageId: `m_${seq}`,
    conversationId: 'c_1',
    seq,
    kind: 'direct' as const,
    urgent: true,
    arrivedAt,
  });

  const early = await planner.plan(contact.userId, 'email', [
    message(1, now - 5_000),
    message(2, now - 2_000),
  ]);
  t.same(early.deliver, [], 'nothing is sent before the new delay');
  t.same(early.deferred, ['m_1', 'm_2']);
  t.equal(early.deferredUntil, now - 5_000 + 300_000, 'until the first of them is due');

  const due = await planner.plan(contact.userId, 'email', [
    message(1, now - 300_000),
    message(2, now - 2_000),
  ]);
  t.same(due.deliver, ['m_1'], 'the message past its new delay is sent');
  t.same(due.deferred, ['m_2'], 'the later one waits on');
  t.equal(due.job?.channel, 'email');

  const unknown = await planner.plan(contact.userId, 'email', [{ ...message(2, 0), arrivedAt: undefined }]);
  t.same(unknown.deliver, ['m_2'], 'a plan asked without arrival times (an older worker) is not held back');
});
