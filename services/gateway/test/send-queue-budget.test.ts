import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@parley/service-kit';
import { Redis } from 'ioredis';
import { type Socket, io } from 'socket.io-client';
import t from 'tap';
import { CONVERSATION, message } from './messages';
import { redisServer } from './private-redis';
import { sidecarChatClient } from '../src/realtime/chat-client';
import { RevokedSessions } from '../src/realtime/revoked-sessions';
import { Realtime } from '../src/realtime/server';

// A send refused because the gateway's queue for chat is full never reached chat: it costs the
// user none of their send budget, or the client's retries after the wait would spend it all.

const QUEUE_LIMIT = 1;
/** Shaped as a JWT, for the expiry the socket lives by; the verifier here trusts it. */
const TOKEN = `x.${Buffer.from(JSON.stringify({ sub: 'u_alice', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.x`;

interface SendEntry {
  userId: string;
  message: { text: string };
}

/** The sidecar as the chat client uses it: chat's send requests are held until `release`. */
function overloadedChat() {
  const held: { sends: SendEntry[]; resolve: (body: unknown) => void }[] = [];
  /** Every text chat was handed, answered or not. */
  const received: string[] = [];
  const sidecar = {
    invokeOk<T>(appId: string, method: string, init: { body?: unknown } = {}): Promise<T> {
      if (appId !== 'chat') throw new Error(`unexpected ${appId}`);
      if (method.endsWith('/conversation-ids')) {
        return Promise.resolve({ conversations: [{ id: CONVERSATION, lastSeq: 0 }] } as T);
      }
      if (method.endsWith('/audience')) return Promise.resolve({ userIds: [], hidden: [] } as T);
      if (method.includes('/messages?')) return Promise.resolve({ items: [], lastSeq: 0 } as T);
      if (method !== 'internal/v1/message-sends') throw new Error(`unexpected ${method}`);
      const { sends } = init.body as { sends: SendEntry[] };
      received.push(...sends.map((send) => send.message.text));
      return new Promise<T>((resolve) => {
        held.push({
          sends: (init.body as { sends: SendEntry[] }).sends,
          resolve: (body) => resolve(body as T),
        });
      });
    },
  };
  let seq = 0;
  const release = () => {
    for (const { sends, resolve } of held.splice(0)) {
      resolve({
        results: sends.map((send) => ({
          status: 201,
          message: { ...message(++seq), senderId: send.userId, text: send.message.text },
        })),
      });
    }
  };
  return { sidecar, release, received };
}

interface Ack {
  ok: boolean;
  error?: { code: string; retryAfterMs?: number };
}

t.test('a send refused for a full queue costs no send budget', async (t) => {
  const redisProcess = await redisServer(t);
  const chat = overloadedChat();
  const redis = new Redis(redisProcess.port, '127.0.0.1', { maxRetriesPerRequest: 3 });
  const realtime = new Realtime({
    allowedOrigins: [],
    verifier: { verify: async () => ({ userId: 'u_alice', sessionId: 's_alice', roles: [] }) },
    chat: sidecarChatClient(chat.sidecar as never, { maxQueued: QUEUE_LIMIT }),
    redis,
    revokedSessions: new RevokedSessions(redis, 60),
    eventBudget: { perSecond: 100, burst: 100 },
    // Five sends a minute: nothing more within the test.
    sendBudget: { burst: 5, perMinute: 5 },
    socketsPerUser: 5,
    logger: createLogger('gateway-test', 'silent'),
  });
  const server = createServer();
  realtime.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    chat.release();
    await realtime.close();
    redis.disconnect();
    await redisProcess.kill();
  });
  const socket: Socket = io(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
    transports: ['websocket'],
    auth: { token: TOKEN },
    reconnection: false,
    forceNew: true,
  });
  t.teardown(() => socket.disconnect());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const send = (n: number) =>
    socket.timeout(10_000).emitWithAck('message:send', {
      conversationId: CONVERSATION,
      clientMessageId: `client-${String(n).padStart(8, '0')}`,
      text: `send ${n}`,
    }) as Promise<Ack>;

  const first = send(0);
  while (chat.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  // Chat is answering nothing: the queue (one send) is full, so the next ones are refused.
  for (let n = 1; n <= 3; n++) {
    const ack = await send(n);
    t.equal(
      ack.error?.code,
      'REALTIME_SEND_QUEUE_FULL',
      `send ${n} refused for the queue: ${JSON.stringify(ack)}`,
    );
  }
  chat.release();
  t.ok((await first).ok, 'the queued send is stored');

  // One message stored so far: the budget of five has room for the three refused, sent again.
  const again = setInterval(() => chat.release(), 10);
  t.teardown(() => clearInterval(again));
  const second = await send(1);
  t.ok(second.ok, `the first refused send, tried again, is stored (${second.error?.code ?? 'ok'})`);
  const third = await send(2);
  t.ok(third.ok, `the second refused send, tried again, is stored (${third.error?.code ?? 'ok'})`);
  const fourth = await send(3);
  t.ok(fourth.ok, `the third refused send, tried again, is stored (${fourth.error?.code ?? 'ok'})`);
});
