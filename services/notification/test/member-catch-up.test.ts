import type { ChatMessageView } from '@parley/contracts';
import { workflowIds } from '@parley/workflows';
import t, { type Test } from 'tap';
import { CATCH_UP_WINDOW_MS, CHAT_EVENT_ROUTES } from '../src/delivery/chat-events';
import type { Directory, MemberView } from '../src/delivery/directory';
import { DirectoryCache } from '../src/delivery/directory-cache';
import { deliveryId, openDeliveryStore } from '../src/delivery/store';
import { chatEventDeps, chatMessage, memoryBoard, serveChatEvents } from './chat-event-fixtures';
import { privateClient } from './ferretdb';

/** Chat in memory: the group c_1, its members and its messages, counting what it is asked. */
function fakeChat(memberIds: string[]) {
  const members = new Set(memberIds);
  /** The number each member joined at, when not there from the start. */
  const joinSeqs = new Map<string, number>();
  const messages: ChatMessageView[] = [];
  const calls = { conversationAs: 0, newestMessagesAs: 0 };
  const view = (): MemberView => ({
    id: 'c_1',
    type: 'group',
    name: 'standup',
    lastSeq: messages.length,
    me: { readSeq: 0, muted: false },
    members: [...members].map((userId) => ({ userId, joinSeq: joinSeqs.get(userId) ?? 0 })),
  });
  const directory: Directory = {
    contact: async () => null,
    displayName: async () => 'Alice',
    async conversationAs(userId) {
      calls.conversationAs += 1;
      return members.has(userId) ? view() : null;
    },
    async newestMessagesAs(userId, _conversationId, limit) {
      calls.newestMessagesAs += 1;
      return members.has(userId) ? messages.slice(-limit) : null;
    },
  };
  /** Stores a message of the next number, as chat does before it publishes the event. */
  const send = (senderId: string, overrides: Partial<ChatMessageView> = {}): ChatMessageView => {
    const seq = messages.length + 1;
    const message = { ...chatMessage(`m_${seq}`, `message ${seq}`, 0, seq), senderId, ...overrides };
    messages.push(message);
    return message;
  };
  return { directory, calls, members, joinSeqs, send };
}

/** The chat event routes of one notification instance, served on a loopback port. */
async function instance(t: Test, dbName: string, memberIds: string[]) {
  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db(dbName));
  const chat = fakeChat(memberIds);
  const { deps, signals } = chatEventDeps(store, memberIds);
  deps.directory = new DirectoryCache(chat.directory, memoryBoard());
  deps.chat = chat.directory;
  const deliver = await serveChatEvents(t, deps, 'chat');
  const created = (message: ChatMessageView) =>
    deliver(CHAT_EVENT_ROUTES.messageCreated, { conversationId: 'c_1', actorId: message.senderId, message });
  const added = (userId: string, joinedAt?: Date, joinSeq?: number) =>
    deliver(CHAT_EVENT_ROUTES.memberAdded, {
      conversationId: 'c_1',
      userId,
      actorId: 'u_alice',
      role: 'member',
      ...(joinedAt ? { joinedAt: joinedAt.toISOString() } : {}),
      ...(joinSeq !== undefined ? { joinSeq } : {}),
    });
  /** The messages signalled to a user's workflow, in order, with kind and urgency. */
  const signalledTo = (userId: string) =>
    signals
      .filter((s) => s.workflowId === workflowIds.notifyRecipient(userId))
      .map((s) => `${s.messageId} ${s.kind}${s.urgent ? ' urgent' : ''}`);
  const entry = (messageId: string, userId: string) =>
    store.deliveries.findOne({ _id: deliveryId(messageId, userId) });
  const timeline = async (messageId: string, userId: string) =>
    (
      await store.deliveryEvents.find({ _id: { $regex: new RegExp(`^${messageId}:${userId}\\|`) } }).toArray()
    ).map((e) => e.event);
  return { store, chat, created, added, signalledTo, entry, timeline };
}

const GROUP = ['u_alice', 'u_bob', 'u_carol'];

t.test(
  'a member added just before a message handled with the old member list is notified of it',
  async (t) => {
    const { chat, created, added, signalledTo, entry, timeline } = await instance(
      t,
      'parley_notification_catch_up_race_test',
      GROUP,
    );
    // The member list is cached: a message before Dan joins.
    const before = chat.send('u_alice');
    await created(before);

    const joinedAt = new Date();
    chat.members.add('u_dan');
    const fromDan = chat.send('u_dan');
    const gone = chat.send('u_bob', { deletedAt: new Date().toISOString() });
    const raced = chat.send('u_alice', { mentions: ['u_bob'] });
    // The message overtakes the member event: the cached list leaves Dan out.
    await created(raced);
    t.equal(await entry(raced.id, 'u_dan'), null, 'no entry for Dan from the message alone');
    t.same(signalledTo('u_dan'), []);

    await added('u_dan', joinedAt);
    t.match(await entry(raced.id, 'u_dan'), { kind: 'all', urgent: false, recipientId: 'u_dan' });
    t.same(await timeline(raced.id, 'u_dan'), ['queued']);
    t.same(signalledTo('u_dan'), [`${raced.id} all`], 'Dan hears of the message sent after he joined');
    t.equal(await entry(before.id, 'u_dan'), null, 'not of the one sent before he joined');
    t.equal(await entry(fromDan.id, 'u_dan'), null, 'nor of his own');
    t.equal(await entry(gone.id, 'u_dan'), null, 'nor of a deleted one');
    t.same(signalledTo('u_bob'), [`${before.id} all`, `${raced.id} mention urgent`], 'the others as before');

    await added('u_dan', joinedAt);
    t.same(signalledTo('u_dan'), [`${raced.id} all`], 'the member event again adds nothing');
    t.same(await timeline(raced.id, 'u_dan'), ['queued']);
  },
);

t.test('a member added while messages are sent hears only of those after their join number', async (t) => {
  const { store, chat, created, added, signalledTo } = await instance(
    t,
    'parley_notification_catch_up_join_seq_test',
    GROUP,
  );
  for (let i = 0; i < 3; i++) await created(chat.send('u_alice'));
  // Chat takes the join time, then sends go on until it reads lastSeq (9) and stores Dan's
  // membership: m_4 to m_9 are newer than his join time, yet came before he joined.
  const joinedAt = new Date();
  const during = [4, 5, 6, 7, 8, 9].map((seq) =>
    chat.send(seq === 8 ? 'u_bob' : 'u_alice', seq === 8 ? { mentionsEveryone: true } : {}),
  );
  for (const message of during.slice(0, 3)) await created(message);
  chat.members.add('u_dan');
  chat.joinSeqs.set('u_dan', 9);
  const next = chat.send('u_alice');
  const everyone = chat.send('u_carol', { mentionsEveryone: true });

  await added('u_dan', joinedAt, 9);
  t.same(
    signalledTo('u_dan'),
    [`${next.id} all`, `${everyone.id} mention`],
    'caught up on what came after his join number alone',
  );
  // Events handled late, with the member list read again since he joined: m_7 to m_9 leave him
  // out, as chat counts them unread for him not at all.
  for (const message of [...during.slice(3), next, everyone]) await created(message);
  const dansEntries = await store.deliveries
    .find({ _id: { $in: [...during, next, everyone].map((m) => deliveryId(m.id, 'u_dan')) } })
    .toArray();
  t.same(dansEntries.map((e) => e.messageId).sort(), [next.id, everyone.id].sort());
  t.same(
    signalledTo('u_bob').filter((s) => s.startsWith('m_8 ')),
    [],
    'the sender of m_8 hears nothing of it',
  );
  t.same(
    signalledTo('u_carol').filter((s) => s.startsWith('m_8 ')),
    ['m_8 mention'],
    'the others as before',
  );
});

t.test('a message reaching a new member both ways notifies them once', async (t) => {
  const { store, chat, created, added, signalledTo, timeline } = await instance(
    t,
    'parley_notification_catch_up_both_ways_test',
    GROUP,
  );
  await created(chat.send('u_alice'));
  const joinedAt = new Date();
  chat.members.add('u_dan');
  const late = chat.send('u_carol');
  // The member event first: Dan is caught up on a message whose own event comes after.
  await added('u_dan', joinedAt);
  await created(late);

  t.equal(await store.deliveries.countDocuments({ _id: `${late.id}:u_dan` }), 1, 'one entry');
  t.same(await timeline(late.id, 'u_dan'), ['queued']);
  t.same(
    signalledTo('u_dan'),
    [`${late.id} all`, `${late.id} all`],
    'a second signal alike, for a message id the workflow saw: it ignores it',
  );

  // The other order: the message's own event found Dan, and the member event adds nothing.
  const next = chat.send('u_carol');
  await created(next);
  await added('u_dan', joinedAt);
  t.same(signalledTo('u_dan'), [`${late.id} all`, `${late.id} all`, `${next.id} all`]);
});

t.test('a member event asks chat nothing when it cannot have missed anything', async (t) => {
  const { chat, created, added, signalledTo } = await instance(
    t,
    'parley_notification_catch_up_bounds_test',
    GROUP,
  );
  await created(chat.send('u_alice'));
  chat.members.add('u_dan');
  await created(chat.send('u_alice'));

  await added('u_dan', new Date(Date.now() - CATCH_UP_WINDOW_MS - 60_000));
  t.same(chat.calls, { conversationAs: 1, newestMessagesAs: 0 }, 'joined long ago: no read');
  await added('u_dan');
  t.same(chat.calls, { conversationAs: 1, newestMessagesAs: 0 }, 'no join time (an older chat): no read');
  t.same(signalledTo('u_dan'), []);
});

t.test('a member joining a conversation without messages reads none', async (t) => {
  const { chat, added, signalledTo } = await instance(t, 'parley_notification_catch_up_empty_test', GROUP);
  chat.members.add('u_dan');
  await added('u_dan', new Date());
  t.equal(chat.calls.newestMessagesAs, 0);
  t.same(signalledTo('u_dan'), []);
});
