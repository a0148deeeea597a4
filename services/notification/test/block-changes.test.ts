import { Topics, type UserBlockChangedEvent } from '@parley/contracts';
import t from 'tap';
import { BlockCache, type Relations } from '../src/delivery/block-cache';
import { CHAT_EVENT_ROUTES, CHAT_TOPICS } from '../src/delivery/chat-events';
import { deliveryId, openDeliveryStore } from '../src/delivery/store';
import { chatEventDeps, chatMessage, memoryBoard, serveChatEvents } from './chat-event-fixtures';
import { privateClient } from './ferretdb';

t.test('a message sent right after a block notifies neither of the pair', async (t) => {
  t.ok(CHAT_TOPICS.includes(Topics.userBlockChanged), 'the sidecar is told to deliver block changes');

  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db('parley_notification_block_changes_test'));
  const { deps, signals } = chatEventDeps(store, ['u_alice', 'u_bob', 'u_carol']);
  // Auth's blocks, `<blocker>:<blocked>`; the cache keeps its answers well beyond this test.
  const blocks = new Set<string>();
  const relations: Relations = {
    blockedAmong: async (userId, others) =>
      new Set(others.filter((id) => blocks.has(`${id}:${userId}`) || blocks.has(`${userId}:${id}`))),
  };
  deps.blocks = new BlockCache(relations, memoryBoard());
  const deliver = await serveChatEvents(t, deps, 'auth');
  const send = (seq: number, senderId: string) =>
    deliver(CHAT_EVENT_ROUTES.messageCreated, {
      conversationId: 'c_1',
      actorId: senderId,
      message: { ...chatMessage(`m_${seq}`, `message ${seq}`, 0, seq), senderId },
    });
  const blockChanged = (blockerId: string, blockedId: string, blocked: boolean) => {
    if (blocked) blocks.add(`${blockerId}:${blockedId}`);
    else blocks.delete(`${blockerId}:${blockedId}`);
    const event: UserBlockChangedEvent = {
      blockerId,
      blockedId,
      blocked,
      occurredAt: new Date().toISOString(),
    };
    return deliver(CHAT_EVENT_ROUTES.userBlockChanged, event);
  };
  const notified = async (seq: number, userId: string) => {
    const entry = await store.deliveries.findOne({ _id: deliveryId(`m_${seq}`, userId) });
    const signalled = signals.some((s) => s.messageId === `m_${seq}` && s.workflowId.includes(userId));
    return entry !== null || signalled;
  };

  // Both directions cached as not blocked.
  await send(1, 'u_bob');
  await send(2, 'u_carol');
  t.ok(await notified(1, 'u_carol'), 'Carol hears of Bob before the block');
  t.ok(await notified(2, 'u_bob'), 'and Bob of Carol');

  await blockChanged('u_carol', 'u_bob', true);
  await send(3, 'u_bob');
  await send(4, 'u_carol');
  t.notOk(await notified(3, 'u_carol'), 'no ledger entry or signal for the blocker');
  t.notOk(await notified(4, 'u_bob'), 'nor for the blocked, the other way');
  t.ok(await notified(3, 'u_alice'), 'the others are told as before');

  await blockChanged('u_carol', 'u_bob', false);
  await send(5, 'u_bob');
  t.ok(await notified(5, 'u_carol'), 'an unblock counts at once too');
});
