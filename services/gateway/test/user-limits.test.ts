import { createServer } from 'node:http';
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

// One user's many sockets share one send budget and one cap on sockets, over every replica:
// opening more sockets buys neither more sends nor room to crowd out everyone else's.

/** Chat as the real-time layer sees it: one conversation, and every send stored, by sender. */
class ChatSends implements ChatClient {
  readonly sent = new Map<string, number>();

  async conversations() {
    return [{ id: CONVERSATION, lastSeq: 0 }];
  }
  async audience() {
    return { userIds: [], hidden: [] };
  }
  async history() {
    return { items: [], lastSeq: 0 };
  }
  async send(userId: string, _conversationId: string, body: unknown): Promise<ChatMessageView> {
    this.sent.set(userId, (this.sent.get(userId) ?? 0) + 1);
    return { ...message(1), senderId: userId, text: (body as { text: string }).text };
  }
  async receipt(): Promise<{ kind: string; seq: number }> {
    throw new Error('not used here');
  }
}

const SEND_BURST = 20;
const SOCKETS_PER_USER = 12;

/** Two gateway replicas over one private Redis, closed (then Redis stopped) at the end of the test. */
async function gateways(t: Test) {
  const redisProcess = await redisServer(t);
  const chat = new ChatSends();
  const ports: number[] = [];
  const replicas: { realtime: Realtime; redis: Redis }[] = [];
  for (let i = 0; i < 2; i++) {
    const redis = new Redis(redisProcess.port, '127.0.0.1', { maxRetriesPerRequest: 3 });
    const realtime = new Realtime({
      allowedOrigins: [],
      verifier: unsignedVerifier,
      chat,
      redis,
      revokedSessions: new RevokedSessions(redis, 60),
      eventBudget: { perSecond: 20, burst: 40 },
      sendBudget: { burst: SEND_BURST, perMinute: 1000 },
      socketsPerUser: SOCKETS_PER_USER,
      logger: createLogger('gateway-test', 'silent'),
    });
    const server = createServer();
    realtime.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ports.push((server.address() as AddressInfo).port);
    replicas.push({ realtime, redis });
  }
  t.teardown(async () => {
    for (const { realtime, redis } of replicas) {
      await realtime.close();
      redis.disconnect();
    }
    await redisProcess.kill();
  });
  return { chat, ports };
}

/** A socket of the user, or the code of the gateway's refusal. */
async function connect(t: Test, port: number, userId: string): Promise<Socket | string> {
  const socket: Socket = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    auth: { token: tokenFor(userId) },
    reconnection: false,
    forceNew: true,
  });
  t.teardown(() => socket.disconnect());
  return new Promise((resolve) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err: Error & { data?: { code?: string } }) =>
      resolve(err.data?.code ?? err.message),
    );
  });
}

async function connected(t: Test, port: number, userId: string): Promise<Socket> {
  const socket = await connect(t, port, userId);
  if (typeof socket === 'string') throw new Error(`refused: ${socket}`);
  return socket;
}

interface Ack {
  ok: boolean;
  error?: { code: string; retryAfterMs?: number };
}

const send = (socket: Socket, text: string) =>
  socket.timeout(10_000).emitWithAck('message:send', {
    conversationId: CONVERSATION,
    clientMessageId: `client-${Math.random().toString(36).slice(2, 12)}`,
    text,
  }) as Promise<Ack>;

t.test("one user's sockets share one send budget; another user's sends still go", async (t) => {
  const { chat, ports } = await gateways(t);
  const flood: Socket[] = [];
  for (let i = 0; i < 10; i++) flood.push(await connected(t, ports[i % 2]!, 'u_mallory'));
  const bob = await connected(t, ports[0]!, 'u_bob');

  // 10 sockets on two replicas, 8 sends each: within every socket's own budget, far over the user's.
  const floodAcks = Promise.all(
    flood.flatMap((socket, i) => Array.from({ length: 8 }, (_, n) => send(socket, `flood ${i}.${n}`))),
  );
  const bobAcks = await Promise.all(Array.from({ length: 5 }, (_, n) => send(bob, `hello ${n}`)));
  const acks = await floodAcks;

  const accepted = acks.filter((ack) => ack.ok).length;
  const limited = acks.filter((ack) => ack.error?.code === 'RATE_LIMITED');
  t.equal(accepted, SEND_BURST, 'the budget is spent once, over every socket and replica');
  t.equal(limited.length, 80 - SEND_BURST, 'every other send is refused RATE_LIMITED');
  t.ok(
    limited.every((ack) => (ack.error?.retryAfterMs ?? 0) > 0),
    'each refusal says how long to wait',
  );
  t.equal(chat.sent.get('u_mallory'), SEND_BURST, 'refused sends never reach chat');
  t.same(
    bobAcks.map((ack) => ack.ok),
    [true, true, true, true, true],
    "another user's sends all go through",
  );
  t.equal(chat.sent.get('u_bob'), 5);
});

t.test('a user past the socket cap is refused at the handshake, on any replica', async (t) => {
  const { ports } = await gateways(t);
  // All at once, over both replicas: the count is taken and raised in one step.
  const attempts = await Promise.all(
    Array.from({ length: SOCKETS_PER_USER + 5 }, (_, i) => connect(t, ports[i % 2]!, 'u_alice')),
  );
  const open = attempts.filter((a): a is Socket => typeof a !== 'string');
  t.equal(open.length, SOCKETS_PER_USER, 'exactly the cap connects');
  t.same(
    attempts.filter((a) => typeof a === 'string'),
    Array(5).fill('REALTIME_TOO_MANY_SOCKETS'),
    'the others are refused with a code the client can show',
  );
  t.type(await connect(t, ports[0]!, 'u_bob'), 'object', 'another user still connects');

  // A socket closed gives its place back, once its replica has counted it out.
  open[0]!.disconnect();
  let again: Socket | string = 'REALTIME_TOO_MANY_SOCKETS';
  for (let i = 0; i < 100 && again === 'REALTIME_TOO_MANY_SOCKETS'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    again = await connect(t, ports[1]!, 'u_alice');
  }
  t.type(again, 'object', 'a new socket takes the place of a closed one');
});
