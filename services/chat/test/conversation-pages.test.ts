import type { AddressInfo } from 'node:net';
import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import type { RequestHandler } from 'express';
import t from 'tap';
import type { Directory } from '../src/auth-client';
import { conversationRoutes } from '../src/conversations/routes';
import { Conversations } from '../src/conversations/service';
import type { ChatEvents } from '../src/events';
import { openStore } from '../src/store';
import { connect, noPictures, startFerretDb, unrememberedMemberships } from './ferretdb';

const directory: Directory = {
  requireUser: async () => {},
  blockedAmong: async () => new Set<string>(),
};
const events = { member: async () => {}, conversation: async () => {} } as unknown as ChatEvents;

interface ListPage {
  items: { id: string; lastActivity: string }[];
  nextBefore: string | null;
}

t.test('conversation list pages on FerretDB', async (t) => {
  const url = await startFerretDb(t);
  const store = await openStore((await connect(t, url)).db('parley_chat_pages_test'));
  const logger = createLogger('test', 'silent');
  const chat = new Conversations({
    store,
    pictures: noPictures,
    memberships: unrememberedMemberships(store),
    directory,
    events,
    logger,
  });

  // The caller is named by a header here; the service's own guard checks a token.
  const asHeader: RequestHandler = (req, _res, next) => {
    req.principal = { userId: String(req.get('x-test-user')), sessionId: 's', roles: [] };
    next();
  };
  const appToken = 'a'.repeat(32);
  const app = createHttpApp({ logger, appApiToken: appToken });
  app.use('/v1', conversationRoutes(chat, asHeader));
  finishHttpApp(app);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/conversations`;

  const listAs = async (userId: string, query: string) => {
    const res = await fetch(`${base}?${query}`, {
      headers: { 'x-test-user': userId, 'dapr-api-token': appToken },
    });
    return { status: res.status, body: (await res.json()) as ListPage };
  };

  /** Every page of `limit`, following nextBefore; stops after more pages than there can be. */
  const allPages = async (userId: string, limit: number, most: number) => {
    const listed: string[] = [];
    let before: string | null = null;
    for (let pages = 0; pages <= most; pages++) {
      const query: string = `limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ''}`;
      const { body } = await listAs(userId, query);
      listed.push(...body.items.map((c) => c.id));
      before = body.nextBefore;
      if (!before) break;
    }
    return listed;
  };

  /** Groups of `userId`, with the given last activities (ms since the epoch), in creation order. */
  const groupsActiveAt = async (userId: string, times: number[]) => {
    const ids: string[] = [];
    for (const time of times) {
      const { id } = await chat.createGroup(userId, { name: 'g', memberIds: [] });
      await store.conversations.updateOne({ _id: id }, { $set: { lastActivity: new Date(time) } });
      ids.push(id);
    }
    return ids;
  };

  await t.test('conversations active in the same millisecond are all listed, once', async (t) => {
    const ids = await groupsActiveAt('u_ties', [5000, 5000, 5000, 5000, 5000]);
    for (const limit of [1, 2, 3]) {
      const listed = await allPages('u_ties', limit, ids.length);
      t.same(listed, [...ids].sort(), `pages of ${limit}: every conversation, ties by id`);
    }
  });

  await t.test('pages follow the list order across ties and older times', async (t) => {
    const times = [3000, 7000, 7000, 1000, 7000, 3000, 9000];
    const ids = await groupsActiveAt('u_mixed', times);
    const ordered = ids
      .map((id, i) => ({ id, time: times[i] as number }))
      .sort((a, b) => b.time - a.time || (a.id < b.id ? -1 : 1))
      .map((c) => c.id);
    t.same(
      (await listAs('u_mixed', 'limit=100')).body.items.map((c) => c.id),
      ordered,
      'one page',
    );
    t.same(await allPages('u_mixed', 2, ids.length), ordered, 'pages of two');
  });

  await t.test('a bare time, as clients sent before, lists what is older than it', async (t) => {
    const ids = await groupsActiveAt('u_old_client', [2000, 4000, 6000]);
    const { status, body } = await listAs('u_old_client', `before=${new Date(4000).toISOString()}`);
    t.equal(status, 200);
    t.same(
      body.items.map((c) => c.id),
      [ids[0]],
    );
  });

  await t.test('a cursor that is not one is refused', async (t) => {
    for (const before of ['yesterday', `2026-01-01T00:00:00.000Z~c_nothex`, '~c_' + '0'.repeat(24)]) {
      t.equal((await listAs('u_ties', `before=${encodeURIComponent(before)}`)).status, 400, before);
    }
  });
});
