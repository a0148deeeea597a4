import type { ChatMessageView } from '@parley/contracts';
import { workflowIds } from '@parley/workflows';
import type { Document } from 'mongodb';
import t from 'tap';
import {
  onMessageCreated,
  onMessageDeleted,
  onMessageEdited,
  recordReceipt,
} from '../src/delivery/chat-events';
import { deliveryId, openDeliveryStore, readMarkId } from '../src/delivery/store';
import { chatEventDeps, chatMessage } from './chat-event-fixtures';
import { privateClient } from './ferretdb';

/** A group of four: Bob and Dan hear only of mentions, Carol of every message. */
const MEMBERS = ['u_alice', 'u_bob', 'u_carol', 'u_dan'];
const LEVELS: Record<string, 'all' | 'mentions'> = { u_bob: 'mentions', u_carol: 'all', u_dan: 'mentions' };

t.test('an edit that mentions a user anew notifies them once', async (t) => {
  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db('parley_notification_edit_mentions_test'));
  const { deps, signals } = chatEventDeps(store, MEMBERS, (id) => LEVELS[id] ?? 'all');
  const version = (seq: number, v: number, mentions: string[]): ChatMessageView => ({
    ...chatMessage(`m_${seq}`, `version ${v}`, v, seq),
    mentions,
  });
  const create = (seq: number, mentions: string[] = []) =>
    onMessageCreated(deps, { conversationId: 'c_1', actorId: 'u_alice', message: version(seq, 0, mentions) });
  const edit = (seq: number, v: number, mentions: string[]) =>
    onMessageEdited(deps, { conversationId: 'c_1', actorId: 'u_alice', message: version(seq, v, mentions) });
  /** Who was signalled for a message, and as what. */
  const signalledFor = (seq: number) =>
    signals.filter((s) => s.messageId === `m_${seq}`).map((s) => `${s.workflowId} ${s.kind}`);
  const as = (userId: string, kind: string) => `${workflowIds.notifyRecipient(userId)} ${kind}`;
  /** Dependencies whose signals fail (Temporal away) until `temporalBack` is called. */
  const temporalAwayAtFirst = () => {
    const failing = chatEventDeps(store, MEMBERS, (id) => LEVELS[id] ?? 'all');
    const { workflow } = failing.deps.temporal;
    const signalWithStart = workflow.signalWithStart.bind(workflow);
    let away = true;
    workflow.signalWithStart = (async (...args: Parameters<typeof signalWithStart>) => {
      if (away) throw new Error('Temporal is away');
      return signalWithStart(...args);
    }) as typeof signalWithStart;
    return { ...failing, temporalBack: () => (away = false) };
  };

  await t.test('the newly mentioned user gets a mention, and only once', async (t) => {
    await create(1);
    t.same(signalledFor(1), [as('u_carol', 'all')], 'at first only Carol hears of it');
    await edit(1, 1, ['u_bob']);
    t.same(signalledFor(1), [as('u_carol', 'all'), as('u_bob', 'mention')], 'the edit mentions Bob');
    t.match(await store.deliveries.findOne({ _id: deliveryId('m_1', 'u_bob') }), {
      kind: 'mention',
      urgent: true,
      snippet: 'version 1',
      textVersion: 1,
      mentionedByEdit: { signalled: true },
    });
    t.match(await store.messageRecipients.findOne({ _id: 'm_1' }), { recipientIds: ['u_carol', 'u_bob'] });
    await edit(1, 2, ['u_bob']);
    await edit(1, 2, ['u_bob']);
    t.equal(
      signalledFor(1).length,
      2,
      'a later edit keeping the mention, or a redelivered one, adds nothing',
    );
  });

  await t.test('a user mentioned from the start is not notified again by an edit', async (t) => {
    await create(2, ['u_bob']);
    t.same(signalledFor(2), [as('u_bob', 'mention'), as('u_carol', 'all')]);
    await edit(2, 1, ['u_bob', 'u_dan', 'u_alice']);
    t.same(
      signalledFor(2),
      [as('u_bob', 'mention'), as('u_carol', 'all'), as('u_dan', 'mention')],
      'only Dan, newly mentioned, is signalled (and never the sender)',
    );
    await edit(2, 2, ['u_bob', 'u_dan']);
    t.equal(signalledFor(2).length, 3, 'an edit naming them again adds nothing');
  });

  await t.test('an edit that overtook the creation notifies once', async (t) => {
    await edit(3, 1, ['u_bob']);
    await create(3);
    t.same(signalledFor(3), [as('u_bob', 'mention'), as('u_carol', 'all')]);
  });

  await t.test('a user who read the message, left, or wants no mentions is not signalled', async (t) => {
    await create(4);
    await store.readMarks.insertOne({ _id: readMarkId('u_bob', 'c_1'), seq: 4, at: new Date() });
    const quiet = chatEventDeps(store, MEMBERS, (id) => (id === 'u_dan' ? 'direct' : 'mentions'));
    await onMessageEdited(quiet.deps, {
      conversationId: 'c_1',
      actorId: 'u_alice',
      message: version(4, 1, ['u_bob', 'u_dan', 'u_erin']),
    });
    t.same(quiet.signals, [], 'nobody');
    t.match(await store.deliveries.findOne({ _id: deliveryId('m_4', 'u_bob') }), {
      kind: 'mention',
      mentionedByEdit: { signalled: true },
    });
    const bobsTimeline = await store.deliveryEvents.find({ _id: { $regex: /^m_4:u_bob\|/ } }).toArray();
    t.same(
      bobsTimeline.map((entry) => entry.event),
      ['read'],
      'his timeline says read, and never queued after it',
    );
    t.equal(await store.deliveries.findOne({ _id: deliveryId('m_4', 'u_dan') }), null);
    t.equal(await store.deliveries.findOne({ _id: deliveryId('m_4', 'u_erin') }), null);
  });

  await t.test('an edit of a deleted message notifies nobody', async (t) => {
    await create(5);
    await onMessageDeleted(store, {
      conversationId: 'c_1',
      actorId: 'u_alice',
      message: { ...version(5, 1, []), deletedAt: new Date().toISOString() },
    });
    await edit(5, 1, ['u_bob']);
    t.same(signalledFor(5), [as('u_carol', 'all')]);
    t.match(await store.deliveries.findOne({ _id: deliveryId('m_5', 'u_bob') }), { snippet: '' });
  });

  await t.test('a signal that failed is sent again when the edit is redelivered', async (t) => {
    await create(6);
    const failing = temporalAwayAtFirst();
    const event = { conversationId: 'c_1', actorId: 'u_alice', message: version(6, 1, ['u_bob']) };
    await t.rejects(onMessageEdited(failing.deps, event));
    t.match(await store.deliveries.findOne({ _id: deliveryId('m_6', 'u_bob') }), {
      mentionedByEdit: { signalled: false },
    });
    failing.temporalBack();
    await onMessageEdited(failing.deps, event);
    t.same(
      failing.signals.map((s) => s.workflowId),
      [workflowIds.notifyRecipient('u_bob')],
    );
    await onMessageEdited(failing.deps, { ...event, message: version(6, 2, ['u_bob']) });
    t.equal(failing.signals.length, 1, 'once signalled, a later edit adds nothing');
  });

  await t.test('an edit that mentions everyone notifies, once, who wants mentions', async (t) => {
    const everyone = (seq: number, v: number, mentions: string[] = []) =>
      onMessageEdited(deps, {
        conversationId: 'c_1',
        actorId: 'u_alice',
        message: { ...version(seq, v, mentions), mentionsEveryone: true },
      });
    await create(8);
    await store.readMarks.insertOne({ _id: readMarkId('u_dan', 'c_1'), seq: 8, at: new Date() });
    await everyone(8, 1);
    t.same(
      signals.filter((s) => s.messageId === 'm_8').map((s) => [s.workflowId, s.kind, s.urgent]),
      [
        [workflowIds.notifyRecipient('u_carol'), 'all', false],
        [workflowIds.notifyRecipient('u_bob'), 'mention', false],
      ],
      'Bob, as a creation mentioning everyone would; not Dan, who read it, nor Carol again, nor Alice',
    );
    t.match(await store.deliveries.findOne({ _id: deliveryId('m_8', 'u_bob') }), {
      kind: 'mention',
      urgent: false,
      mentionedByEdit: { signalled: true },
    });
    t.equal(await store.deliveries.findOne({ _id: deliveryId('m_8', 'u_alice') }), null, 'not the sender');
    t.match(await store.messageRecipients.findOne({ _id: 'm_8' }), {
      recipientIds: ['u_carol', 'u_bob', 'u_dan'],
    });
    await everyone(8, 2);
    await everyone(8, 2);
    t.equal(signalledFor(8).length, 2, 'a later edit keeping it, or a redelivered one, adds nothing');
  });

  await t.test('an edit naming one notified without urgency makes it urgent, once', async (t) => {
    await create(9);
    t.same(signalledFor(9), [as('u_carol', 'all')]);
    await edit(9, 1, ['u_carol']);
    t.same(
      signals.filter((s) => s.messageId === 'm_9').map((s) => [s.workflowId, s.kind, s.urgent]),
      [
        [workflowIds.notifyRecipient('u_carol'), 'all', false],
        [workflowIds.notifyRecipient('u_carol'), 'mention', true],
      ],
      'her workflow learns the message is now an urgent mention',
    );
    t.match(await store.deliveries.findOne({ _id: deliveryId('m_9', 'u_carol') }), {
      kind: 'mention',
      urgent: true,
      mentionedByEdit: { signalled: true },
    });
    await edit(9, 2, ['u_carol']);
    await edit(9, 2, ['u_carol']);
    t.equal(
      signalledFor(9).length,
      2,
      'a later edit keeping the mention, or a redelivered one, adds nothing',
    );

    // Bob and Dan heard of m_10 as two of everyone: named later, Bob hears of it as urgent too.
    await onMessageCreated(deps, {
      conversationId: 'c_1',
      actorId: 'u_alice',
      message: { ...version(10, 0, []), mentionsEveryone: true },
    });
    await store.readMarks.updateOne(
      { _id: readMarkId('u_dan', 'c_1') },
      { $set: { seq: 10, at: new Date() } },
    );
    await onMessageEdited(deps, {
      conversationId: 'c_1',
      actorId: 'u_alice',
      message: { ...version(10, 1, ['u_bob', 'u_dan']), mentionsEveryone: true },
    });
    t.same(
      signals.filter((s) => s.messageId === 'm_10').map((s) => [s.workflowId, s.kind, s.urgent]),
      [
        [workflowIds.notifyRecipient('u_bob'), 'mention', false],
        [workflowIds.notifyRecipient('u_carol'), 'mention', false],
        [workflowIds.notifyRecipient('u_dan'), 'mention', false],
        [workflowIds.notifyRecipient('u_bob'), 'mention', true],
      ],
      'Bob is told again, as urgent; Dan, who read it meanwhile, is not',
    );
    t.match(await store.deliveries.findOne({ _id: deliveryId('m_10', 'u_dan') }), { urgent: true });
  });

  await t.test('an urgent signal that failed is sent again when the edit is redelivered', async (t) => {
    await create(11);
    const failing = temporalAwayAtFirst();
    const event = { conversationId: 'c_1', actorId: 'u_alice', message: version(11, 1, ['u_carol']) };
    await t.rejects(onMessageEdited(failing.deps, event));
    t.match(await store.deliveries.findOne({ _id: deliveryId('m_11', 'u_carol') }), {
      urgent: true,
      mentionedByEdit: { signalled: false },
    });
    failing.temporalBack();
    await onMessageEdited(failing.deps, event);
    await onMessageEdited(failing.deps, event);
    t.same(
      failing.signals.map((s) => [s.workflowId, s.urgent]),
      [[workflowIds.notifyRecipient('u_carol'), true]],
      'sent once it went through, and not after',
    );
  });

  await t.test('the ledger is read and written by _id alone', async (t) => {
    const filters: Document[] = [];
    const listener = (event: { commandName: string; command: Document }) => {
      const c = event.command;
      if (event.commandName === 'find' && c.find === 'deliveries') filters.push(c.filter);
      if (event.commandName === 'update' && c.update === 'deliveries')
        filters.push(...c.updates.map((u: Document) => u.q));
    };
    client.on('commandStarted', listener);
    t.teardown(() => {
      client.off('commandStarted', listener);
    });
    await create(7);
    await edit(7, 1, ['u_bob', 'u_dan']);
    await edit(7, 2, ['u_bob', 'u_dan', 'u_carol']);
    await onMessageEdited(deps, {
      conversationId: 'c_1',
      actorId: 'u_alice',
      message: { ...version(7, 3, []), mentionsEveryone: true },
    });
    t.ok(filters.length > 0);
    t.same(
      filters.filter((f) => Object.keys(f).length !== 1 || typeof f._id !== 'string'),
      [],
    );
  });
});

t.test('an edit notifies nobody of a message sent before they joined', async (t) => {
  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db('parley_notification_edit_join_test'));
  const group = ['u_alice', 'u_bob', 'u_carol'];
  // Dan wants mentions only, so an edit mentioning everyone is what would reach him.
  const levelOf = (id: string) => (id === 'u_dan' ? 'mentions' : 'all');
  const before = chatEventDeps(store, group, levelOf);
  // Dan joined once m_1 was sent: chat stored his membership with joinSeq 1.
  const after = chatEventDeps(store, [...group, 'u_dan'], levelOf, () => false, { u_dan: 1 });
  const message = (seq: number, v: number, change: Partial<ChatMessageView> = {}): ChatMessageView => ({
    ...chatMessage(`m_${seq}`, `version ${v}`, v, seq),
    ...change,
  });
  const event = (m: ChatMessageView) => ({ conversationId: 'c_1', actorId: 'u_alice', message: m });
  const dansEntry = (seq: number) => store.deliveries.findOne({ _id: deliveryId(`m_${seq}`, 'u_dan') });

  await onMessageCreated(before.deps, event(message(1, 0)));
  await onMessageEdited(after.deps, event(message(1, 1, { mentionsEveryone: true })));
  t.equal(await dansEntry(1), null, 'mentioning everyone in m_1 opens no entry for Dan');
  await onMessageEdited(after.deps, event(message(1, 2, { mentions: ['u_dan', 'u_bob'] })));
  t.equal(await dansEntry(1), null, 'nor naming him');
  t.same(
    after.signals.map((s) => [s.workflowId, s.kind, s.urgent]),
    [[workflowIds.notifyRecipient('u_bob'), 'mention', true]],
    'only Bob, there when it was sent, is told it names him',
  );

  // A message after he joined: an edit mentioning everyone reaches him as it would anyone.
  await onMessageCreated(after.deps, event(message(2, 0)));
  await onMessageEdited(after.deps, event(message(2, 1, { mentionsEveryone: true })));
  t.match(await dansEntry(2), { kind: 'mention', urgent: false });
  t.same(
    after.signals.filter((s) => s.messageId === 'm_2').map((s) => [s.workflowId, s.kind]),
    [
      [workflowIds.notifyRecipient('u_bob'), 'all'],
      [workflowIds.notifyRecipient('u_carol'), 'all'],
      [workflowIds.notifyRecipient('u_dan'), 'mention'],
    ],
  );
});

t.test('an edit naming one who read the message sends nothing and queues nothing', async (t) => {
  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db('parley_notification_edit_read_test'));
  const { deps, signals } = chatEventDeps(store, ['u_alice', 'u_bob', 'u_carol']);
  const message = (v: number, mentions: string[] = []) => ({
    conversationId: 'c_1',
    actorId: 'u_alice',
    message: { ...chatMessage('m_1', `version ${v}`, v, 1), mentions },
  });
  await onMessageCreated(deps, message(0));
  await recordReceipt(store, { conversationId: 'c_1', userId: 'u_carol', kind: 'read', seq: 1 });
  t.same(
    signals.map((s) => s.workflowId),
    [workflowIds.notifyRecipient('u_bob'), workflowIds.notifyRecipient('u_carol')],
  );

  await onMessageEdited(deps, message(1, ['u_carol']));
  await onMessageEdited(deps, message(2, ['u_carol']));
  t.equal(signals.length, 2, 'no signal for Carol, who read it');
  const timeline = await store.deliveryEvents.find({ _id: { $regex: /^m_1:u_carol\|/ } }).toArray();
  t.same(
    timeline.map((entry) => entry.event),
    ['queued', 'read'],
    'queued once, by the creation, then read; nothing after',
  );
  t.match(await store.deliveries.findOne({ _id: deliveryId('m_1', 'u_carol') }), {
    mentionedByEdit: { signalled: true },
  });
});
