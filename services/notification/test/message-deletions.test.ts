import t from 'tap';
import { onMessageCreated, onMessageDeleted } from '../src/delivery/chat-events';
import { recordEdit } from '../src/delivery/message-edits';
import { deliveryId, openDeliveryStore } from '../src/delivery/store';
import { chatEventDeps, chatMessage } from './chat-event-fixtures';
import { privateClient } from './ferretdb';

const RECIPIENTS = ['u_bob', 'u_carol', 'u_dan'];

t.test('a deletion reaches the timeline of every recipient, whichever event comes first', async (t) => {
  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db('parley_notification_deletions_test'));
  const { deps, signalled } = chatEventDeps(store, ['u_alice', ...RECIPIENTS]);
  const create = (id: string, seq: number) =>
    onMessageCreated(deps, {
      conversationId: 'c_1',
      actorId: 'u_alice',
      message: chatMessage(id, 'hi', 0, seq),
    });
  const remove = (id: string, seq: number) =>
    onMessageDeleted(store, {
      conversationId: 'c_1',
      actorId: 'u_alice',
      message: { ...chatMessage(id, '', 0, seq), deletedAt: new Date().toISOString() },
    });
  const marked = async (id: string) =>
    (await store.deliveryEvents.find({ messageId: id, event: 'deleted' }).toArray())
      .map((e) => e.deliveryId)
      .sort();
  const everyone = (id: string) => RECIPIENTS.map((r) => deliveryId(id, r));

  t.test('after the creation', async (t) => {
    await create('m_1', 1);
    await remove('m_1', 1);
    t.same(await marked('m_1'), everyone('m_1'));
    t.same(signalled, ['m_1', 'm_1', 'm_1'], 'the recipients had been signalled; their plans drop it');
  });

  t.test('before the creation', async (t) => {
    await remove('m_2', 2);
    await create('m_2', 2);
    t.same(await marked('m_2'), everyone('m_2'));
    t.notOk(signalled.includes('m_2'), 'nobody is signalled');
  });

  t.test('twice, and with a member the first creation did not know of', async (t) => {
    await remove('m_1', 1);
    t.same(await marked('m_1'), everyone('m_1'), 'nothing is marked twice');
    await create('m_3', 3);
    const later = chatEventDeps(store, ['u_alice', ...RECIPIENTS, 'u_erin']);
    await onMessageCreated(later.deps, {
      conversationId: 'c_1',
      actorId: 'u_alice',
      message: chatMessage('m_3', 'hi', 0, 3),
    });
    await remove('m_3', 3);
    t.same(
      await marked('m_3'),
      [...everyone('m_3'), deliveryId('m_3', 'u_erin')],
      'a redelivered creation adds to them',
    );
  });

  t.test("a deleted message's text is kept nowhere, whichever event comes first", async (t) => {
    const quotes = async (id: string) =>
      (await store.deliveries.find({ messageId: id }).toArray()).map((d) => d.snippet).sort();
    await create('m_4', 4);
    await recordEdit(store, chatMessage('m_4', 'edited', 1, 4));
    t.same(await quotes('m_4'), ['hi', 'hi', 'hi']);
    await remove('m_4', 4);
    t.same(await quotes('m_4'), ['', '', ''], 'the quotes are emptied');
    t.equal(await store.editedMessages.findOne({ _id: 'm_4' }), null, 'the edit is gone');

    await remove('m_5', 5);
    await create('m_5', 5);
    t.same(await quotes('m_5'), ['', '', ''], 'a creation after the deletion empties its own');
    await recordEdit(store, chatMessage('m_5', 'an edit published before the deletion', 1, 5));
    t.equal(
      await store.editedMessages.findOne({ _id: 'm_5' }),
      null,
      'an edit after the deletion is dropped',
    );
  });
});
