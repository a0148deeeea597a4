import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Topics } from '@parley/contracts';
import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import { Redis } from 'ioredis';
import { type Socket, io } from 'socket.io-client';
import t, { type Test } from 'tap';
import { CONVERSATION } from './messages';
import { redisServer } from './private-redis';
import type { ChatClient } from '../src/realtime/chat-client';
import { RevokedSessions } from '../src/realtime/revoked-sessions';
import { Realtime } from '../src/realtime/server';
import { eventRoute, mountRealtimeSubscriptions } from '../src/realtime/subscriptions';
import { tokenFor, unsignedVerifier } from './test-tokens';

// A block holds at once for typing and presence: the gateway's copy of who may see a user's typing
// and presence is read again on every replica when auth says a block changed, not only at the next
// presence change; presence already shown across the block is taken back, and shown again on unblock.

const MEMBERS = ['u_alice', 'u_bob', 'u_carol'];
const APP_TOKEN = 'app-token';

/** Chat with one conversation of three members, answering about blocks as they are now. */
class ChatWithBlocks implements ChatClient {
  readonly blocks = new Set<string>();
  /** Users whose next audience answer is held back, as read, until the test releases it. */
  readonly held = new Map<string, () => void>();
  private readonly holding = new Set<string>();

  /** The user's next audience read answers only once `release` is called (as it was when read). */
  holdNextAudience(userId: string) {
    this.holding.add(userId);
    return {
      asked: () => this.held.has(userId),
      release: () => this.held.get(userId)?.(),
    };
  }

  async conversations() {
    return [{ id: CONVERSATION, lastSeq: 0 }];
  }
  async audience(userId: string) {
    const others = MEMBERS.filter((id) => id !== userId);
    const hidden = others.filter((id) => this.blocks.has(pair(userId, id)));
    const answer = { userIds: others.filter((id) => !hidden.includes(id)), hidden };
    if (this.holding.delete(userId)) {
      await new Promise<void>((resolve) => this.held.set(userId, resolve));
    }
    return answer;
  }
  async history() {
    return { items: [], lastSeq: 0 };
  }
  async send(): Promise<never> {
    throw new Error('not used here');
  }
  async receipt(): Promise<never> {
    throw new Error('not used here');
  }
}

const pair = (a: string, b: string) => [a, b].sort().join(':');

/**
 * Two gateway replicas over one private Redis, each with its subscription routes; closed (then
 * Redis stopped) at the end of the test.
 */
async function gateways(t: Test) {
  const redisProcess = await redisServer(t);
  const chat = new ChatWithBlocks();
  const logger = createLogger('gateway-test', 'silent');
  const replicas: { port: number; realtime: Realtime; redis: Redis; close: () => Promise<void> }[] = [];
  for (let i = 0; i < 2; i++) {
    const redis = new Redis(redisProcess.port, '127.0.0.1', { maxRetriesPerRequest: 3 });
    const revokedSessions = new RevokedSessions(redis, 60);
    const realtime = new Realtime({
      allowedOrigins: [],
      verifier: unsignedVerifier,
      chat,
      redis,
      revokedSessions,
      eventBudget: { perSecond: 50, burst: 100 },
      sendBudget: { burst: 20, perMinute: 1000 },
      socketsPerUser: 5,
      logger,
    });
    const app = createHttpApp({ logger, appApiToken: APP_TOKEN, tokenOnlyUnder: ['/dapr'] });
    mountRealtimeSubscriptions(app, realtime, redis, revokedSessions);
    finishHttpApp(app);
    const server = createServer(app);
    realtime.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const close = async () => {
      await realtime.close();
      await new Promise((resolve) => server.close(resolve));
      redis.disconnect();
    };
    replicas.push({ port, realtime, redis, close });
  }
  t.teardown(async () => {
    for (const replica of replicas) await replica.close();
    await redisProcess.kill();
  });
  return { chat, ports: replicas.map((r) => r.port) };
}

interface Typing {
  userId: string;
  active: boolean;
}

interface Presence {
  userId: string;
  status: string;
  lastSeen: string | null;
}

/** A socket of the user, and the typing indicators and presence it has received so far. */
function connecting(t: Test, port: number, userId: string) {
  const socket: Socket = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    auth: { token: tokenFor(userId) },
    reconnection: false,
    forceNew: true,
  });
  t.teardown(() => socket.disconnect());
  const typing: Typing[] = [];
  const presence: Presence[] = [];
  socket.on('typing', (event: Typing) => typing.push(event));
  socket.on('presence', (event: Presence) => presence.push(event));
  const open = new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, typing, presence, open };
}

async function connected(t: Test, port: number, userId: string) {
  const client = connecting(t, port, userId);
  await client.open;
  return client;
}

/** The user starts and stops typing (stopping clears the throttle, so the next start goes out). */
async function typeOnce(socket: Socket): Promise<void> {
  for (const active of [true, false]) {
    const ack = (await socket
      .timeout(5_000)
      .emitWithAck('typing', { conversationId: CONVERSATION, active })) as {
      ok: boolean;
      throttled?: boolean;
    };
    if (!ack.ok || ack.throttled) throw new Error(`typing refused: ${JSON.stringify(ack)}`);
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Auth's event, as the sidecar delivers it to one replica. */
async function deliverBlockChange(port: number, blockerId: string, blockedId: string, blocked: boolean) {
  const response = await fetch(`http://127.0.0.1:${port}${eventRoute(Topics.userBlockChanged)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json', 'dapr-api-token': APP_TOKEN },
    body: JSON.stringify({
      id: `user-block-changed-${Math.random().toString(36).slice(2)}`,
      topic: Topics.userBlockChanged,
      data: { blockerId, blockedId, blocked, occurredAt: new Date().toISOString() },
    }),
  });
  return { status: response.status, body: (await response.json()) as { status?: string } };
}

const startsFrom = (typing: Typing[], userId: string) =>
  typing.filter((event) => event.userId === userId && event.active).length;

t.test('typing stops crossing a block on every replica as soon as auth announces it', async (t) => {
  const { chat, ports } = await gateways(t);
  const [first = 0, second = 0] = ports;
  const alice = await connected(t, first, 'u_alice');
  const bob = await connected(t, second, 'u_bob');
  const carol = await connected(t, second, 'u_carol');

  await typeOnce(alice.socket);
  await until(() => startsFrom(bob.typing, 'u_alice') === 1, 'bob to see alice typing');
  await until(() => startsFrom(carol.typing, 'u_alice') === 1, 'carol to see alice typing');

  // Bob blocks Alice; the event reaches the replica Bob is on, and Alice's is told through it.
  chat.blocks.add(pair('u_alice', 'u_bob'));
  const delivered = await deliverBlockChange(second, 'u_bob', 'u_alice', true);
  t.same(delivered, { status: 200, body: { status: 'SUCCESS' } }, 'the gateway takes the event');

  await typeOnce(alice.socket);
  await typeOnce(bob.socket);
  // Carol, on Bob's replica, sees both: had Bob been sent either, he would have had it by now.
  await until(() => startsFrom(carol.typing, 'u_alice') === 2, 'carol to see alice typing again');
  await until(() => startsFrom(carol.typing, 'u_bob') === 1, 'carol to see bob typing');
  t.equal(startsFrom(bob.typing, 'u_alice'), 1, 'bob no longer sees alice typing');
  t.equal(startsFrom(alice.typing, 'u_bob'), 0, 'alice does not see bob typing');

  // Unblocked, and the event reaches the other replica this time: typing crosses again.
  chat.blocks.delete(pair('u_alice', 'u_bob'));
  t.equal((await deliverBlockChange(first, 'u_bob', 'u_alice', false)).status, 200);
  await typeOnce(alice.socket);
  await typeOnce(bob.socket);
  await until(() => startsFrom(bob.typing, 'u_alice') === 2, 'bob to see alice typing once more');
  await until(() => startsFrom(alice.typing, 'u_bob') === 1, 'alice to see bob typing');
});

/** The last presence of `userId` the client was told, as its screen shows it. */
const shown = (presence: Presence[], userId: string) =>
  presence.filter((event) => event.userId === userId).at(-1);

t.test('presence shown across a block is taken back at once, and shown again on unblock', async (t) => {
  const { chat, ports } = await gateways(t);
  const [first = 0, second = 0] = ports;
  const carol = await connected(t, second, 'u_carol');
  const alice = await connected(t, first, 'u_alice');
  const bob = await connected(t, second, 'u_bob');
  await until(() => shown(alice.presence, 'u_bob')?.status === 'online', 'alice to see bob online');
  await until(() => shown(carol.presence, 'u_alice')?.status === 'online', 'carol to see alice online');
  // Bob connected last, so he learns of Alice by asking, as the client does.
  const asked = (await bob.socket.timeout(5_000).emitWithAck('presence:query', { userIds: ['u_alice'] })) as {
    presence: Presence[];
  };
  t.equal(asked.presence[0]?.status, 'online', 'bob sees alice online');

  chat.blocks.add(pair('u_alice', 'u_bob'));
  t.equal((await deliverBlockChange(first, 'u_alice', 'u_bob', true)).status, 200);

  await until(() => shown(bob.presence, 'u_alice')?.status === 'offline', 'bob to stop seeing alice online');
  await until(() => shown(alice.presence, 'u_bob')?.status === 'offline', 'alice to stop seeing bob online');
  t.same(shown(bob.presence, 'u_alice'), {
    userId: 'u_alice',
    status: 'offline',
    lastSeen: null,
    devices: 0,
  });
  t.equal(shown(alice.presence, 'u_bob')?.lastSeen, null, 'nor when bob was last seen');
  t.equal(shown(carol.presence, 'u_alice')?.status, 'online', 'carol still sees alice online');
  t.notOk(shown(carol.presence, 'u_bob')?.status === 'offline', 'carol is told nothing of the block');

  chat.blocks.delete(pair('u_alice', 'u_bob'));
  t.equal((await deliverBlockChange(second, 'u_alice', 'u_bob', false)).status, 200);
  await until(() => shown(bob.presence, 'u_alice')?.status === 'online', 'bob to see alice online again');
  await until(() => shown(alice.presence, 'u_bob')?.status === 'online', 'alice to see bob online again');
});

t.test('a socket still in its handshake when a block arrives holds the block too', async (t) => {
  const { chat, ports } = await gateways(t);
  const [first = 0, second = 0] = ports;
  const alice = await connected(t, first, 'u_alice');
  const carol = await connected(t, first, 'u_carol');

  // Bob's audience is read (Alice among it) before the block, and answers only after it.
  const held = chat.holdNextAudience('u_bob');
  const bob = connecting(t, second, 'u_bob');
  await until(held.asked, "bob's handshake to read his audience");
  chat.blocks.add(pair('u_alice', 'u_bob'));
  t.equal((await deliverBlockChange(first, 'u_alice', 'u_bob', true)).status, 200);
  held.release();
  await bob.open;

  await until(() => shown(carol.presence, 'u_bob')?.status === 'online', 'carol to see bob online');
  await typeOnce(bob.socket);
  await until(() => startsFrom(carol.typing, 'u_bob') === 1, 'carol to see bob typing');
  // Carol shares Alice's replica: had Alice been sent either, she would have had it by now.
  t.equal(startsFrom(alice.typing, 'u_bob'), 0, 'alice does not see bob typing');
  t.notOk(
    alice.presence.some((event) => event.userId === 'u_bob' && event.status === 'online'),
    'alice is not told bob came online',
  );
});
