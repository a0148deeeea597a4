import type { ChatMessageView } from '@parley/contracts';
import { startPrivateFerretDb } from '@parley/devstack';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { messageCreated, messageDeleted, noteSending } from '../src/cleanup/references';
import { dropStaleSends } from '../src/cleanup/sweep';
import type { Remover } from '../src/cleanup/remover';
import { type MediaDoc, openStore } from '../src/store';

const CONVERSATION = 'c_0123456789abcdef01234567';
const [M1, M2, M3, M4] = [1, 2, 3, 4].map((n) => `md_${String(n).repeat(24)}`) as [
  string,
  string,
  string,
  string,
];

const media = (id: string, messageIds: string[]): MediaDoc =>
  ({
    _id: id,
    ownerId: 'u_ada',
    status: 'ready',
    fileName: 'cat.png',
    declaredType: 'image/png',
    sizeBytes: 10,
    createdAt: new Date(),
    kind: 'image',
    messageIds,
    goneMessageIds: [],
    ownerDeleted: false,
    deleting: false,
  }) as unknown as MediaDoc;

const message = (id: string, mediaId: string): ChatMessageView =>
  ({
    id,
    conversationId: CONVERSATION,
    clientMessageId: `client-${id}`,
    attachments: [{ mediaId, status: 'ready' }],
  }) as unknown as ChatMessageView;

t.test('media stays while a send that claimed it is on its way, whatever else is deleted', async (t) => {
  const client = new MongoClient(await startPrivateFerretDb((stop) => t.teardown(stop)));
  await client.connect();
  t.teardown(() => client.close());
  const store = await openStore(client.db('parley_media_references_test'));
  const removed: string[] = [];
  const remover = {
    remove: async (doc: Pick<MediaDoc, '_id'>) => {
      removed.push(doc._id);
      await store.media.deleteOne({ _id: doc._id });
    },
  } as unknown as Remover;
  const deps = { store, remover, processing: { announceResult: async () => undefined } };
  const claim = (mediaId: string, messageId: string) =>
    noteSending(store, mediaId, { conversationId: CONVERSATION, clientMessageId: `client-${messageId}` });

  t.test('a message deleted while another carrying the same media is being sent', async (t) => {
    await store.media.insertOne(media(M1, ['m_1']));
    await claim(M1, 'm_2');
    await messageDeleted(deps, 'm_1');
    t.same(removed, [], 'the media stays: the new message will carry it');
    t.match(await store.media.findOne({ _id: M1 }), { deleting: false, messageIds: [] });

    await messageCreated(deps, message('m_2', M1));
    t.match(await store.media.findOne({ _id: M1 }), { messageIds: ['m_2'], sending: [] });
    await messageDeleted(deps, 'm_2');
    t.same(removed, [M1], 'its last carrier deleted, it goes');
  });

  t.test('without a send on its way, the last carrier takes the media with it', async (t) => {
    await store.media.insertOne(media(M2, ['m_3']));
    await messageDeleted(deps, 'm_3');
    t.same(removed, [M1, M2]);
  });

  t.test('a send that never arrived is dropped a day on, and the media with it', async (t) => {
    await store.media.insertOne(media(M3, ['m_4']));
    await claim(M3, 'm_5');
    await messageDeleted(deps, 'm_4');
    await dropStaleSends(store, remover, Date.now());
    t.same(removed, [M1, M2], 'not before the day is over');
    await dropStaleSends(store, remover, Date.now() + 25 * 60 * 60 * 1000);
    t.same(removed, [M1, M2, M3]);

    await store.media.insertOne(media(M4, ['m_6']));
    await claim(M4, 'm_7');
    await dropStaleSends(store, remover, Date.now() + 25 * 60 * 60 * 1000);
    t.match(
      await store.media.findOne({ _id: M4 }),
      { messageIds: ['m_6'], sending: [] },
      'a carried one stays',
    );
  });
});
