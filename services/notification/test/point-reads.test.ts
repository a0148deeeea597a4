import type { CommandStartedEvent, Document } from 'mongodb';
import t from 'tap';
import { onMessageCreated, onMessageDeleted } from '../src/delivery/chat-events';
import { recordEdit } from '../src/delivery/message-edits';
import { openDeliveryStore } from '../src/delivery/store';
import { chatEventDeps, chatMessage } from './chat-event-fixtures';
import { privateClient } from './ferretdb';
import { contact, plannerFor } from './planner-fixtures';

/** The collections that grow with every message: the dev store scans them for any other filter. */
const PER_MESSAGE = ['deliveries', 'deleted_messages', 'edited_messages', 'message_recipients'];

/** The collection a command names and the filters it carries, if it is one that filters. */
function filtersOf(event: CommandStartedEvent): { collection: string; filters: Document[] } | null {
  const c = event.command;
  switch (event.commandName) {
    case 'find':
      return { collection: c.find, filters: [c.filter ?? {}] };
    case 'update':
      return { collection: c.update, filters: c.updates.map((u: Document) => u.q) };
    case 'delete':
      return { collection: c.delete, filters: c.deletes.map((d: Document) => d.q) };
    case 'findAndModify':
      return { collection: c.findAndModify, filters: [c.query ?? {}] };
    case 'count':
    case 'distinct':
      return { collection: c[event.commandName], filters: [c.query ?? {}] };
    case 'aggregate':
      return { collection: c.aggregate, filters: [c.pipeline[0]?.$match ?? {}] };
    default:
      return null;
  }
}

const byIdAlone = (filter: Document) =>
  Object.keys(filter).length === 1 &&
  (typeof filter._id === 'string' || filter._id?._bsontype === 'ObjectId');

t.test(
  'a creation, an edit, a plan that delivers and a deletion touch the ledger by _id alone',
  async (t) => {
    const client = await privateClient(t);
    const store = await openDeliveryStore(client.db('parley_notification_point_reads_test'));
    const { deps } = chatEventDeps(store);
    const seen: { collection: string; filter: Document }[] = [];
    client.on('commandStarted', (event) => {
      const found = filtersOf(event);
      if (found && PER_MESSAGE.includes(found.collection))
        seen.push(...found.filters.map((filter) => ({ collection: found.collection, filter })));
    });

    await onMessageCreated(deps, {
      conversationId: 'c_1',
      actorId: 'u_alice',
      message: chatMessage('m_1', 'hi', 0, 1),
    });
    await onMessageCreated(deps, {
      conversationId: 'c_1',
      actorId: 'u_alice',
      message: chatMessage('m_2', 'yo', 0, 2),
    });
    await recordEdit(store, chatMessage('m_1', 'hello', 1, 1));
    const plan = await plannerFor(store).plan(contact.userId, 'email', [
      { messageId: 'm_1', conversationId: 'c_1', seq: 1, kind: 'direct', urgent: true },
      { messageId: 'm_2', conversationId: 'c_1', seq: 2, kind: 'direct', urgent: true },
    ]);
    t.same(plan.deliver, ['m_1', 'm_2'], 'the plan delivers');
    await onMessageDeleted(store, {
      conversationId: 'c_1',
      actorId: 'u_alice',
      message: { ...chatMessage('m_2', '', 0, 2), deletedAt: new Date().toISOString() },
    });

    for (const collection of PER_MESSAGE)
      t.ok(
        seen.some((s) => s.collection === collection),
        `${collection} is asked`,
      );
    t.same(
      seen.filter((s) => !byIdAlone(s.filter)).map((s) => `${s.collection} ${JSON.stringify(s.filter)}`),
      [],
      'every filter on them is an _id alone',
    );
  },
);
