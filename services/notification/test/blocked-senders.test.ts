import type { ChatMessageView } from '@parley/contracts';
import { workflowIds } from '@parley/workflows';
import t from 'tap';
import { onMessageCreated, onMessageEdited } from '../src/delivery/chat-events';
import { deliveryId, openDeliveryStore } from '../src/delivery/store';
import { chatEventDeps, chatMessage } from './chat-event-fixtures';
import { privateClient } from './ferretdb';

/** A group of Alice, Bob and Carol; Bob blocked Alice, or (`blockedByAlice`) Alice blocked Carol. */
const MEMBERS = ['u_alice', 'u_bob', 'u_carol'];

t.test('nobody is notified of messages from someone they blocked or who blocked them', async (t) => {
  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db('parley_notification_blocked_senders_test'));
  const blocks = new Set(['u_bob:u_alice']);
  const { deps, signals } = chatEventDeps(
    store,
    MEMBERS,
    () => 'all',
    (sender, recipient) => blocks.has(`${recipient}:${sender}`) || blocks.has(`${sender}:${recipient}`),
  );
  const message = (seq: number, version: number, mentions: string[], everyone = false): ChatMessageView => ({
    ...chatMessage(`m_${seq}`, `hello ${seq}`, version, seq),
    mentions,
    mentionsEveryone: everyone,
  });
  const event = (m: ChatMessageView) => ({ conversationId: 'c_1', actorId: 'u_alice', message: m });
  const entryOf = (seq: number, userId: string) =>
    store.deliveries.findOne({ _id: deliveryId(`m_${seq}`, userId) });
  const signalledFor = (seq: number) =>
    signals.filter((s) => s.messageId === `m_${seq}`).map((s) => `${s.workflowId} ${s.kind}`);
  const as = (userId: string, kind: string) => `${workflowIds.notifyRecipient(userId)} ${kind}`;

  await t.test('a group message that mentions the blocker leaves them out of the ledger', async (t) => {
    await onMessageCreated(deps, event(message(1, 0, ['u_bob'])));
    t.equal(await entryOf(1, 'u_bob'), null, 'no ledger entry, so no push, email or SMS');
    t.same(signalledFor(1), [as('u_carol', 'all')], 'the others are told as before');
    t.match(await store.messageRecipients.findOne({ _id: 'm_1' }), { recipientIds: ['u_carol'] });
  });

  await t.test('neither does a mention of everyone, nor an edit that mentions the blocker', async (t) => {
    await onMessageCreated(deps, event(message(2, 0, [], true)));
    t.equal(await entryOf(2, 'u_bob'), null);
    await onMessageEdited(deps, event(message(2, 1, ['u_bob'], true)));
    await onMessageEdited(deps, event(message(1, 1, ['u_bob'])));
    t.equal(await entryOf(2, 'u_bob'), null, 'not by the edit of a message to everyone');
    t.equal(await entryOf(1, 'u_bob'), null, 'not by an edit keeping the mention');
    t.same(signalledFor(2), [as('u_carol', 'mention')]);
  });

  await t.test('the block holds the other way too: whom the sender blocked hears nothing', async (t) => {
    blocks.add('u_alice:u_carol');
    await onMessageCreated(deps, event(message(3, 0, ['u_carol'])));
    t.equal(await entryOf(3, 'u_carol'), null);
    t.same(signalledFor(3), [], 'with both blocked, nobody is told');
    t.equal(await store.messageRecipients.findOne({ _id: 'm_3' }), null, 'and nothing is recorded');
  });

  await t.test('once the blocks are lifted, messages and mentions notify again', async (t) => {
    blocks.clear();
    await onMessageCreated(deps, event(message(4, 0, ['u_bob'])));
    t.match(await entryOf(4, 'u_bob'), { kind: 'mention', urgent: true });
    t.same(signalledFor(4), [as('u_bob', 'mention'), as('u_carol', 'all')]);
  });
});
