import { messageIdFor } from '@parley/contracts';
import type { CommandStartedEvent } from 'mongodb';
import t from 'tap';
import { recordReceipt } from '../src/delivery/chat-events';
import { type DeliveryStore, deliveryId, openDeliveryStore } from '../src/delivery/store';
import { privateClient } from './ferretdb';

const CONVERSATION = 'c_00000000000000000000000r';
const BOB = 'u_bob';

async function deliveriesFor(store: DeliveryStore, seqs: number[]): Promise<void> {
  for (const seq of seqs) {
    const messageId = messageIdFor(CONVERSATION, seq);
    await store.deliveries.insertOne({
      _id: deliveryId(messageId, BOB),
      messageId,
      conversationId: CONVERSATION,
      seq,
      senderId: 'u_ada',
      senderName: 'Ada',
      snippet: `message ${seq}`,
      recipientId: BOB,
      kind: 'direct',
      urgent: true,
      createdAt: new Date(),
    });
  }
}

t.test('receipts reach the timelines of the deliveries they cover, found by _id', async (t) => {
  const client = await privateClient(t);
  const commands: CommandStartedEvent[] = [];
  client.on('commandStarted', (event) => commands.push(event));
  const store = await openDeliveryStore(client.db('parley_notification_receipts_test'));
  // Messages 2 and 4 were not for bob (his level did not want them): no delivery of his.
  await deliveriesFor(store, [1, 3, 5, 6]);
  const marked = async (event: 'delivered' | 'read') =>
    (await store.deliveryEvents.find({ event }).toArray()).map((e) => e.messageId).sort();
  const id = (seq: number) => messageIdFor(CONVERSATION, seq);

  const from = commands.length;
  await recordReceipt(store, { conversationId: CONVERSATION, userId: BOB, kind: 'delivered', seq: 3 });
  t.same(await marked('delivered'), [id(1), id(3)]);
  const filters = commands
    .slice(from)
    .filter((c) => c.commandName === 'find' && c.command.find === 'deliveries')
    .map((c) => Object.keys(c.command.filter as object).join());
  t.ok(filters.length > 0);
  t.same(
    filters.filter((keys) => keys !== '_id'),
    [],
    'the ledger is read by _id alone',
  );

  await recordReceipt(store, { conversationId: CONVERSATION, userId: BOB, kind: 'delivered', seq: 3 });
  await recordReceipt(store, { conversationId: CONVERSATION, userId: BOB, kind: 'delivered', seq: 6 });
  t.same(await marked('delivered'), [id(1), id(3), id(5), id(6)], 'once each, and on from where it stopped');

  // Message 4's delivery is written after the receipt that covered it (its creation came late).
  await deliveriesFor(store, [4]);
  await recordReceipt(store, { conversationId: CONVERSATION, userId: BOB, kind: 'read', seq: 6 });
  t.same(await marked('read'), [1, 3, 4, 5, 6].map(id), 'a read covers them all');
  await recordReceipt(store, { conversationId: CONVERSATION, userId: BOB, kind: 'delivered', seq: 7 });
  t.ok(
    (await marked('delivered')).includes(id(4)),
    'a later receipt looks a little below where the last stopped',
  );
  t.equal((await store.readMarks.findOne({ _id: `${BOB}:${CONVERSATION}` }))?.seq, 6, 'the read cursor');
});
