import { messageIdFor } from '@parley/contracts';
import type { CommandStartedEvent } from 'mongodb';
import t from 'tap';
import type { ChatEvents } from '../src/events';
import { type MessageDeps, Messages } from '../src/messages/service';
import { openStore } from '../src/store';
import { connect, groupDoc, memberDoc, startFerretDb, storedMessage } from './ferretdb';

const CONVERSATION = 'c_00000000000000000000000f';

t.test('reactions are written by _id alone, and racing ones count once', async (t) => {
  const client = await connect(t, await startFerretDb(t));
  const commands: CommandStartedEvent[] = [];
  client.on('commandStarted', (event) => commands.push(event));
  const store = await openStore(client.db('parley_chat_test'));
  await store.conversations.insertOne(groupDoc(CONVERSATION, 'u_ada'));
  await store.members.insertOne(memberDoc(CONVERSATION, 'u_bob'));
  // The message reacted to comes after many others: a filter beside `_id` would read them all.
  await store.messages.insertMany(Array.from({ length: 300 }, (_, i) => storedMessage(CONVERSATION, i + 1)));
  let announced = 0;
  const events = { message: async () => void (announced += 1) } as unknown as ChatEvents;
  const messages = new Messages({ store, events } as unknown as MessageDeps);
  const id = messageIdFor(CONVERSATION, 300);

  const from = commands.length;
  await Promise.all(Array.from({ length: 8 }, () => messages.react('u_bob', id, '👍', true)));
  const after = await messages.react('u_bob', id, '🎉', true);
  t.same(
    after.reactions.map((r) => [r.emoji, r.userIds]),
    [
      ['👍', ['u_bob']],
      ['🎉', ['u_bob']],
    ],
    'each reaction once',
  );
  const again = announced;
  await messages.react('u_bob', id, '👍', true);
  t.equal(announced, again, 'a reaction made already is not announced again');
  const removed = await messages.react('u_bob', id, '👍', false);
  t.same(
    removed.reactions.map((r) => r.emoji),
    ['🎉'],
  );
  const filters = commands
    .slice(from)
    .filter((c) => c.command.findAndModify === 'messages')
    .map((c) => Object.keys(c.command.query as object).join());
  t.ok(filters.length >= 3);
  t.same(
    filters.filter((keys) => keys !== '_id'),
    [],
    'written by _id alone',
  );
});

t.test('a reaction that lands on a message deleted meanwhile is refused and leaves nothing', async (t) => {
  const client = await connect(t, await startFerretDb(t));
  const store = await openStore(client.db('parley_chat_test'));
  await store.members.insertOne(memberDoc(CONVERSATION, 'u_bob'));
  await store.messages.insertOne(storedMessage(CONVERSATION, 1));
  const id = messageIdFor(CONVERSATION, 1);
  // The deletion lands between the reaction's read and its write.
  const findOne = store.messages.findOne.bind(store.messages);
  store.messages.findOne = (async (...args: Parameters<typeof findOne>) => {
    const doc = await findOne(...args);
    await store.messages.updateOne(
      { _id: id },
      { $set: { deletedAt: new Date(), reactions: [], reactionKeys: [] } },
    );
    return doc;
  }) as typeof store.messages.findOne;
  const messages = new Messages({ store, events: {} } as unknown as MessageDeps);
  await t.rejects(messages.react('u_bob', id, '👍', true), { code: 'CHAT_MESSAGE_DELETED' });
  t.match(await findOne({ _id: id }), { reactions: [], reactionKeys: [] });
});
