import type { ChatMessageView } from '@parley/contracts';
import { createLogger } from '@parley/service-kit';
import type { Client } from '@temporalio/client';
import t from 'tap';
import { type ChatEventDeps, onMessageCreated } from '../src/delivery/chat-events';
import type { DirectoryCache } from '../src/delivery/directory-cache';
import type { LevelCache } from '../src/delivery/level-cache';
import { recordEdit } from '../src/delivery/message-edits';
import { deliveryId, openDeliveryStore } from '../src/delivery/store';
import { privateClient } from './ferretdb';

const message = (id: string, text: string, version: number): ChatMessageView => ({
  id,
  conversationId: 'c1',
  seq: 1,
  clientMessageId: `client-${id}`,
  senderId: 'ada',
  text,
  replyToId: null,
  threadRootId: null,
  mentions: [],
  mentionsEveryone: false,
  attachments: [],
  reactions: [],
  createdAt: new Date().toISOString(),
  editedAt: version > 0 ? new Date().toISOString() : null,
  deletedAt: null,
  version,
});

t.test('an edited message is notified with its newest text, whatever order the events come in', async (t) => {
  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db('parley_notification_edits_test'));
  const signalled: string[] = [];
  // Chat, auth and Temporal as the creation handler sees them: a direct conversation with bob.
  const deps: ChatEventDeps = {
    store,
    directory: {
      conversation: async () => ({ type: 'direct', memberIds: ['ada', 'bob'] }),
      displayName: async () => 'Ada',
    } as unknown as DirectoryCache,
    levels: { levels: async (_c: string, ids: string[]) => ids.map(() => 'all') } as unknown as LevelCache,
    temporal: {
      withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn(),
      workflow: {
        signalWithStart: async (_name: string, options: { signalArgs: [{ messageId: string }] }) => {
          signalled.push(options.signalArgs[0].messageId);
        },
      },
    } as unknown as Client,
    logger: createLogger('test', 'silent'),
  };
  const snippet = async (id: string) =>
    (await store.deliveries.findOne({ _id: deliveryId(id, 'bob') }))?.snippet;

  t.test('an edit after the creation replaces the text still to be sent', async (t) => {
    await onMessageCreated(deps, {
      conversationId: 'c1',
      actorId: 'ada',
      message: message('m1', 'the pin is 1234', 0),
    });
    await recordEdit(store, message('m1', 'call me', 1));
    t.equal(await snippet('m1'), 'call me');
  });

  t.test('an edit that overtook the creation still wins', async (t) => {
    await recordEdit(store, message('m2', 'the key is hunter2, sorry: removed', 1));
    await onMessageCreated(deps, {
      conversationId: 'c1',
      actorId: 'ada',
      message: message('m2', 'the key is hunter2', 0),
    });
    t.equal(await snippet('m2'), 'the key is hunter2, sorry: removed');
    t.ok(signalled.includes('m2'), 'the recipient is still notified');
  });

  t.test('an older edit arriving after a newer one changes nothing', async (t) => {
    await onMessageCreated(deps, {
      conversationId: 'c1',
      actorId: 'ada',
      message: message('m3', 'first', 0),
    });
    await recordEdit(store, message('m3', 'third', 2));
    await recordEdit(store, message('m3', 'second', 1));
    t.equal(await snippet('m3'), 'third');

    await recordEdit(store, message('m4', 'newest', 3));
    await recordEdit(store, message('m4', 'older', 2));
    await onMessageCreated(deps, {
      conversationId: 'c1',
      actorId: 'ada',
      message: message('m4', 'original', 0),
    });
    t.equal(await snippet('m4'), 'newest', 'also when both edits came before the creation');
  });

  t.test('an edit of a message nobody is notified of is no error', async (t) => {
    await recordEdit(store, message('m5', 'nobody hears of this', 1));
    t.equal(await store.deliveries.countDocuments({ messageId: 'm5' }), 0);
  });
});
