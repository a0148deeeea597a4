import { type ChatMessageEvent, messageIdFor } from '@parley/contracts';
import t, { type Test } from 'tap';
import { FigureStore } from '../src/figures/figure-store';
import { RECEIPT_WINDOW, Recorder } from '../src/figures/recorder';
import { privateDb } from './ferretdb';

const CONVERSATION = 'c_0123456789abcdef01234567';
const SENT_AT = new Date('2026-01-01T10:00:00.000Z');

function created(seq: number, senderId: string): ChatMessageEvent {
  return {
    conversationId: CONVERSATION,
    actorId: senderId,
    message: {
      id: messageIdFor(CONVERSATION, seq),
      conversationId: CONVERSATION,
      seq,
      clientMessageId: `client-${seq}`,
      senderId,
      text: 'hello',
      replyToId: null,
      threadRootId: null,
      mentions: [],
      mentionsEveryone: false,
      attachments: [],
      reactions: [],
      createdAt: SENT_AT.toISOString(),
      editedAt: null,
      deletedAt: null,
      version: 0,
    },
  };
}

t.test('the recorder on a real store', async (t) => {
  const db = await privateDb(t);

  async function fresh(t: Test): Promise<{ store: FigureStore; recorder: Recorder }> {
    await db.dropDatabase();
    const store = new FigureStore(db);
    await store.init();
    t.teardown(() => db.dropDatabase());
    return { store, recorder: new Recorder(store) };
  }

  t.test("a receipt times each of the others' messages up to the cursor, once", async (t) => {
    const { store, recorder } = await fresh(t);
    await recorder.messageCreated(created(1, 'alice'));
    await recorder.messageCreated(created(2, 'bob'));
    await recorder.messageCreated(created(3, 'alice'));
    await recorder.messageCreated(created(4, 'alice'));

    const at = new Date(SENT_AT.getTime() + 1_500);
    await recorder.receipt({ conversationId: CONVERSATION, userId: 'bob', kind: 'read', seq: 3 }, at);
    t.same(
      (await store.latencies.find({}).toArray()).map((l) => [l.kind, l.ms]),
      [
        ['read', 1_500],
        ['read', 1_500],
      ],
      "bob's own message is not timed, nor the one past his cursor",
    );

    await recorder.receipt({ conversationId: CONVERSATION, userId: 'bob', kind: 'read', seq: 3 }, at);
    await recorder.receipt({ conversationId: CONVERSATION, userId: 'bob', kind: 'read', seq: 2 }, at);
    t.equal(await store.latencies.countDocuments({}), 2, 'a redelivered or older receipt times nothing');

    await recorder.receipt({ conversationId: CONVERSATION, userId: 'bob', kind: 'read', seq: 4 }, at);
    t.equal(await store.latencies.countDocuments({}), 3, 'the next receipt times only what is new');
  });

  t.test('a receipt that overtakes the messages it covers waits a moment for them', async (t) => {
    const { store, recorder } = await fresh(t);
    await recorder.messageCreated(created(1, 'alice'));
    const at = new Date(SENT_AT.getTime() + 800);
    // Message 2 arrives in the next batch, while the receipt for both is being applied.
    const receipt = recorder.receipt(
      { conversationId: CONVERSATION, userId: 'bob', kind: 'delivered', seq: 2 },
      at,
    );
    await new Promise((resolve) => setTimeout(resolve, 60));
    await recorder.messageCreated(created(2, 'alice'));
    await receipt;
    t.same(
      (await store.latencies.find({}).toArray()).map((l) => l.ms),
      [800, 800],
      'both timed',
    );
  });

  t.test('a message is recorded once under the id derived from its conversation and seq', async (t) => {
    const { store, recorder } = await fresh(t);
    t.equal(await recorder.messageCreated(created(1, 'alice')), true);
    t.equal(await recorder.messageCreated(created(1, 'alice')), false, 'its redelivery counts nothing');
    t.ok(await store.sent.findOne({ _id: messageIdFor(CONVERSATION, 1) }));
    const [day] = await store.conversationDays.find({}).toArray();
    t.equal(day?.messages, 1);
  });

  t.test('a long jump of the cursor times only the latest messages', async (t) => {
    const { store, recorder } = await fresh(t);
    const total = RECEIPT_WINDOW + 30;
    for (let seq = 1; seq <= total; seq++) await recorder.messageCreated(created(seq, 'alice'));

    const at = new Date(SENT_AT.getTime() + 60_000);
    await recorder.receipt(
      { conversationId: CONVERSATION, userId: 'bob', kind: 'delivered', seq: total },
      at,
    );
    t.equal(await store.latencies.countDocuments({}), RECEIPT_WINDOW);
    t.equal((await store.cursors.findOne({ _id: `${CONVERSATION}:bob:delivered` }))?.seq, total);
  });
});
