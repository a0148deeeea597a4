import t from 'tap';
import { onMessageCreated } from '../src/delivery/chat-events';
import { recordEdit } from '../src/delivery/message-edits';
import { deliveryId, openDeliveryStore } from '../src/delivery/store';
import { chatEventDeps, chatMessage } from './chat-event-fixtures';
import { privateClient } from './ferretdb';
import { contact, plannerFor } from './planner-fixtures';

t.test('an edited message is emailed with its newest text, whatever order the events come in', async (t) => {
  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db('parley_notification_edits_test'));
  const { deps, signalled } = chatEventDeps(store);
  const planner = plannerFor(store);
  // Each case has a message of its own, numbered by its sequence in c_1.
  const create = (seq: number, text: string, version = 0) =>
    onMessageCreated(deps, {
      conversationId: 'c_1',
      actorId: 'u_alice',
      message: chatMessage(`m_${seq}`, text, version, seq),
    });
  const edit = (seq: number, text: string, version: number) =>
    recordEdit(store, chatMessage(`m_${seq}`, text, version, seq));
  // What the email step would send Bob for the message: the line quoting it in the digest.
  const emailed = async (seq: number) => {
    const plan = await planner.plan(contact.userId, 'email', [
      { messageId: `m_${seq}`, conversationId: 'c_1', seq, kind: 'direct', urgent: true },
    ]);
    if (plan.job?.channel !== 'email') return null;
    return plan.job.text
      .split('\n')
      .find((line) => line.startsWith('  Alice: '))
      ?.slice('  Alice: '.length);
  };

  t.test('an edit after the creation replaces the text still to be sent', async (t) => {
    await create(1, 'the pin is 1234');
    await edit(1, 'call me', 1);
    t.equal(await emailed(1), 'call me');
  });

  t.test('an edit that overtook the creation still wins', async (t) => {
    await edit(2, 'the key is hunter2, sorry: removed', 1);
    await create(2, 'the key is hunter2');
    t.equal(await emailed(2), 'the key is hunter2, sorry: removed');
    t.ok(signalled.includes('m_2'), 'the recipient is still notified');
  });

  t.test('an older edit arriving after a newer one changes nothing', async (t) => {
    await create(3, 'first');
    await edit(3, 'third', 2);
    await edit(3, 'second', 1);
    t.equal(await emailed(3), 'third');

    await edit(4, 'newest', 3);
    await edit(4, 'older', 2);
    await create(4, 'original');
    t.equal(await emailed(4), 'newest', 'also when both edits came before the creation');
  });

  t.test('an edit of a message nobody is notified of is no error', async (t) => {
    await edit(5, 'nobody hears of this', 1);
    t.equal(await store.deliveries.findOne({ _id: deliveryId('m_5', contact.userId) }), null);
  });

  t.test('an edit kept in the shape written before each version had its text', async (t) => {
    await store.editedMessages.insertOne({ _id: 'm_6', snippet: 'second, kept the old way', version: 2 });
    await create(6, 'first');
    t.equal(await emailed(6), 'second, kept the old way');
    await edit(6, 'an older edit, late', 1);
    t.equal(await emailed(6), 'second, kept the old way', 'an older edit does not replace it');
    await edit(6, 'third', 3);
    t.equal(await emailed(6), 'third', 'a newer one does');
  });

  t.test('a ledger entry written before edits were followed takes any edit', async (t) => {
    // Its snippet carries no version: it may be the creation's text or an edit's.
    await store.deliveries.insertOne({
      _id: deliveryId('m_7', contact.userId),
      messageId: 'm_7',
      conversationId: 'c_1',
      seq: 7,
      senderId: 'u_alice',
      senderName: 'Alice',
      snippet: 'as written then',
      recipientId: contact.userId,
      kind: 'direct',
      urgent: true,
      createdAt: new Date(),
    });
    t.equal(await emailed(7), 'as written then');
    await edit(7, 'edited since', 1);
    t.equal(await emailed(7), 'edited since');
  });

  t.test('the text an edit replaced is not kept', async (t) => {
    await create(8, 'my password is swordfish');
    await edit(8, 'oops', 1);
    await edit(8, 'never mind', 2);
    t.same(await store.editedMessages.findOne({ _id: 'm_8' }), {
      _id: 'm_8',
      version: 2,
      snippets: { 2: 'never mind' },
    });
    await edit(8, 'oops', 1);
    t.same(
      (await store.editedMessages.findOne({ _id: 'm_8' }))?.snippets,
      { 2: 'never mind' },
      'nor a late one',
    );
    t.equal(await emailed(8), 'never mind');

    await edit(6, 'fourth', 4);
    t.same(
      await store.editedMessages.findOne({ _id: 'm_6' }),
      { _id: 'm_6', version: 4, snippets: { 4: 'fourth' } },
      'an edit kept the old way is forgotten too',
    );
  });
});
