import { type Server as HttpServer, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatMessageView } from '@parley/contracts';
import { createLogger } from '@parley/service-kit';
import { Redis } from 'ioredis';
import { type Socket, io } from 'socket.io-client';
import t, { type Test } from 'tap';
import { CONVERSATION, message } from './messages';
import { redisServer } from './private-redis';
import type { ChatClient } from '../src/realtime/chat-client';
import { RevokedSessions } from '../src/realtime/revoked-sessions';
import { Realtime } from '../src/realtime/server';
import { tokenFor, unsignedVerifier } from './test-tokens';

/** The chat service as the real-time layer sees it: one conversation of two users, in memory. */
class ChatHistory implements ChatClient {
  readonly stored: ChatMessageView[] = [];
  readonly members = new Set(['u_alice', 'u_bob']);
  conversationReads = 0;

  async conversations(userId: string) {
    this.conversationReads += 1;
    return this.members.has(userId) ? [{ id: CONVERSATION, lastSeq: this.stored.length }] : [];
  }
  async audience() {
    return { userIds: ['u_alice', 'u_bob'], hidden: [] };
  }
  async history(_userId: string, _conversationId: string, after: number, limit: number) {
    return { items: this.stored.filter((m) => m.seq > after).slice(0, limit), lastSeq: this.stored.length };
  }
  async send(): Promise<ChatMessageView> {
    throw new Error('not used here');
  }
  async receipt(): Promise<{ kind: string; seq: number }> {
    throw new Error('not used here');
  }
}

/** An unsigned token the test verifier reads as is; the handshake only needs its `exp`. */
async function replica(redisPort: number, chat: ChatHistory) {
  const redis = new Redis(redisPort, '127.0.0.1', { maxRetriesPerRequest: 3, retryStrategy: () => 100 });
  // The gateway logs its command connection's errors itself (startRealtime); here they are expected.
  redis.on('error', () => undefined);
  const realtime = new Realtime({
    allowedOrigins: [],
    verifier: unsignedVerifier,
    chat,
    redis,
    revokedSessions: new RevokedSessions(redis, 60),
    eventBudget: { perSecond: 20, burst: 40 },
    sendBudget: { burst: 1000, perMinute: 1000 },
    socketsPerUser: 100,
    logger: createLogger('gateway-test', 'silent'),
    catchUpSpreadMs: 0,
  });
  const server: HttpServer = createServer();
  realtime.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async () => {
    await realtime.close();
    redis.disconnect();
  };
  return { realtime, close, port: (server.address() as AddressInfo).port };
}

/** Conversations each connected user's client was told it was added to. */
const addedTo = new Map<string, string[]>();

async function connect(t: Test, port: number, userId: string) {
  const added: string[] = [];
  addedTo.set(userId, added);
  const socket: Socket = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    auth: { token: tokenFor(userId) },
    reconnection: false,
  });
  t.teardown(() => socket.disconnect());
  const received: number[] = [];
  socket.on('message', (m: ChatMessageView) => received.push(m.seq));
  socket.on('member:added', (e: { conversationId: string }) => added.push(e.conversationId));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return received;
}

/** Two replicas over one private Redis and one chat; closed, then Redis stopped, at the end. */
async function twoReplicas(t: Test) {
  const redis = await redisServer(t);
  const chat = new ChatHistory();
  const a = await replica(redis.port, chat);
  const b = await replica(redis.port, chat);
  t.teardown(async () => {
    await a.close();
    await b.close();
    await redis.kill();
  });
  return { redis, chat, a, b };
}

const until = async (check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
};

t.test('a broadcast lost while Redis was away reaches the other replica once it is back', async (t) => {
  const { redis, chat, a, b } = await twoReplicas(t);
  const onB = await connect(t, b.port, 'u_bob');
  chat.stored.push(message(1));
  a.realtime.messageCreated(message(1));
  await until(() => onB.length === 1);
  t.same(onB, [1], 'delivered across replicas while Redis is up');

  await redis.kill();
  // Stored by chat and broadcast by replica A while Redis was away: replica B never hears of it.
  chat.stored.push(message(2));
  const readsBefore = chat.conversationReads;
  await redis.start();
  await until(() => onB.length === 2);
  t.same(onB, [1, 2], "replica B caught its socket up from chat's history");
  t.equal(chat.conversationReads - readsBefore, 1, "one read of the user's conversations");

  // Live delivery goes on, with nothing sent twice.
  chat.stored.push(message(3));
  a.realtime.messageCreated(message(3));
  await until(() => onB.length === 3);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.same(onB, [1, 2, 3]);
});

t.test('a removal lost while Redis was away still stops live delivery to the removed user', async (t) => {
  const { redis, chat, a, b } = await twoReplicas(t);
  const bobOnB = await connect(t, b.port, 'u_bob');
  const aliceOnB = await connect(t, b.port, 'u_alice');
  await redis.kill();
  // Chat removed Bob, and the removal's broadcast found no Redis.
  chat.members.delete('u_bob');
  const readsBefore = chat.conversationReads;
  await redis.start();
  await until(() => chat.conversationReads - readsBefore === 2);
  await new Promise((resolve) => setTimeout(resolve, 100));
  chat.stored.push(message(1));
  a.realtime.messageCreated(message(1));
  await until(() => aliceOnB.length === 1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.same(aliceOnB, [1], 'a member on the same replica still gets it');
  t.same(bobOnB, [], 'the removed user does not');
});

t.test('an addition lost while Redis was away joins the added user and tells the client', async (t) => {
  const { redis, chat, a, b } = await twoReplicas(t);
  chat.members.delete('u_bob');
  const bobOnB = await connect(t, b.port, 'u_bob');
  await redis.kill();
  // Chat added Bob, and the addition's broadcast found no Redis.
  chat.members.add('u_bob');
  await redis.start();
  await until(() => (addedTo.get('u_bob') ?? []).length > 0);
  t.same(addedTo.get('u_bob'), [CONVERSATION], 'the client hears of the addition');

  chat.stored.push(message(1));
  a.realtime.messageCreated(message(1));
  await until(() => bobOnB.length === 1);
  t.same(bobOnB, [1], 'live messages of the conversation reach the added user');
});

t.test('a replica closes without an unhandled rejection while Redis is away', async (t) => {
  const redis = await redisServer(t);
  const replicaA = await replica(redis.port, new ChatHistory());
  await connect(t, replicaA.port, 'u_bob');
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  await redis.kill();
  await replicaA.close();
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.same(
    unhandled.map(String),
    [],
    'the adapter’s failed broadcasts and unsubscribes are not left unhandled',
  );
});
