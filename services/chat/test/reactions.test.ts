import { messageIdFor } from '@parley/contracts';
import type { CommandStartedEvent } from 'mongodb';
import t, { type Test } from 'tap';
import type { ChatEvents } from '../src/events';
import { MAX_REACTIONS_PER_USER, MAX_REACTION_KINDS } from '../src/messages/limits';
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

/** A store with one message of Ada's in a group of Ada, Bob and Cy, and the service over it. */
async function reactable(t: Test) {
  const client = await connect(t, await startFerretDb(t));
  const store = await openStore(client.db('parley_chat_reaction_limits_test'));
  await store.conversations.insertOne(groupDoc(CONVERSATION, 'u_ada'));
  await store.members.insertMany(['u_ada', 'u_bob', 'u_cy'].map((u) => memberDoc(CONVERSATION, u)));
  await store.messages.insertOne(storedMessage(CONVERSATION, 1));
  const events = { message: async () => {} } as unknown as ChatEvents;
  const messages = new Messages({ store, events } as unknown as MessageDeps);
  const id = messageIdFor(CONVERSATION, 1);
  const stored = async () => (await store.messages.findOne({ _id: id }))!;
  return { messages, id, stored };
}

/** `count` different tokens, none of them an emoji (any token without whitespace is a reaction). */
const tokens = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

t.test('one user leaves at most MAX_REACTIONS_PER_USER reactions on a message', async (t) => {
  const { messages, id, stored } = await reactable(t);
  for (const token of tokens('bob', MAX_REACTIONS_PER_USER)) await messages.react('u_bob', id, token, true);

  await t.rejects(messages.react('u_bob', id, 'one-more', true), {
    code: 'CHAT_TOO_MANY_REACTIONS',
    status: 409,
    context: { per: 'user', limit: MAX_REACTIONS_PER_USER },
  });
  t.equal((await stored()).reactions.length, MAX_REACTIONS_PER_USER, 'the refused one is not stored');
  const again = await messages.react('u_bob', id, 'bob0', true);
  t.equal(again.reactions.length, MAX_REACTIONS_PER_USER, 'one made already is still fine');
  const other = await messages.react('u_cy', id, 'one-more', true);
  t.ok(
    other.reactions.some((r) => r.emoji === 'one-more'),
    'another user has room of their own',
  );

  await messages.react('u_bob', id, 'bob0', false);
  const joined = await messages.react('u_bob', id, 'one-more', true);
  t.same(
    joined.reactions.find((r) => r.emoji === 'one-more')?.userIds,
    ['u_cy', 'u_bob'],
    'removing one makes room',
  );
});

t.test('a message holds at most MAX_REACTION_KINDS different reactions', async (t) => {
  const { messages, id, stored } = await reactable(t);
  const kinds = tokens('k', MAX_REACTION_KINDS);
  for (const [i, token] of kinds.entries()) {
    await messages.react(
      i < MAX_REACTIONS_PER_USER ? 'u_ada' : i < 2 * MAX_REACTIONS_PER_USER ? 'u_bob' : 'u_cy',
      id,
      token,
      true,
    );
  }

  await t.rejects(messages.react('u_cy', id, 'new-kind', true), {
    code: 'CHAT_TOO_MANY_REACTIONS',
    context: { per: 'message', limit: MAX_REACTION_KINDS },
  });
  t.equal(new Set((await stored()).reactions.map((r) => r.emoji)).size, MAX_REACTION_KINDS);
  const joined = await messages.react('u_cy', id, 'k0', true);
  t.same(
    joined.reactions.find((r) => r.emoji === 'k0')?.userIds,
    ['u_ada', 'u_cy'],
    'a kind there already is open to all',
  );
});

t.test('reactions racing past the limit are refused, and the message keeps no more than it', async (t) => {
  const { messages, id, stored } = await reactable(t);
  const extra = 10;
  const outcomes = await Promise.allSettled(
    tokens('race', MAX_REACTIONS_PER_USER + extra).map((token) => messages.react('u_bob', id, token, true)),
  );
  const refused = outcomes.filter((o) => o.status === 'rejected');
  t.equal(refused.length, extra, 'as many refused as there were too many');
  for (const o of refused) t.match(o.reason, { code: 'CHAT_TOO_MANY_REACTIONS' });
  const doc = await stored();
  t.equal(doc.reactions.length, MAX_REACTIONS_PER_USER, 'the limit holds');
  t.equal(doc.reactionKeys.length, MAX_REACTIONS_PER_USER);
});
