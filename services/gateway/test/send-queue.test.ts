import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@parley/service-kit';
import { Redis } from 'ioredis';
import { type Socket, io } from 'socket.io-client';
import t, { type Test } from 'tap';
import { CONVERSATION, message } from './messages';
import { redisServer } from './private-redis';
import { sidecarChatClient } from '../src/realtime/chat-client';
import { RevokedSessions } from '../src/realtime/revoked-sessions';
import { Realtime } from '../src/realtime/server';

// Chat overloaded: its batched send route takes requests and answers none until the test lets it.
// The gateway holds a bounded number of sends for it (waiting, or in requests not yet answered),
// and refuses the rest at once.

const QUEUE_LIMIT = 3;
/** Shaped as a JWT, for the expiry the socket lives by; the verifier here trusts it. */
const TOKEN = `x.${Buffer.from(JSON.stringify({ sub: 'u_alice', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.x`;
const SENDS = 12;

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

/** A gateway in front of an overloaded chat, with one socket of alice's connected to it. */
async function overloadedGateway(
  t: Test,
  queueLimit: number,
  sendBudget: { burst: number; perMinute: number },
) {
  const redisProcess = await redisServer(t);
  const chat = overloadedChat();
  const redis = new Redis(redisProcess.port, '127.0.0.1', { maxRetriesPerRequest: 3 });
  const realtime = new Realtime({
    allowedOrigins: [],
    verifier: { verify: async () => ({ userId: 'u_alice', sessionId: 's_alice', roles: [] }) },
    chat: sidecarChatClient(chat.sidecar as never, { maxQueued: queueLimit }),
    redis,
    revokedSessions: new RevokedSessions(redis, 60),
    eventBudget: { perSecond: 100, burst: 100 },
    sendBudget,
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
  return { chat, send };
}

t.test('sends beyond the queue are refused at once while chat is overloaded', async (t) => {
  const { chat, send } = await overloadedGateway(t, QUEUE_LIMIT, { burst: 100, perMinute: 1000 });

  const acks: Record<string, Ack> = {};
  const sent = Array.from({ length: SENDS }, (_, n) =>
    send(n).then((ack) => {
      acks[`send ${n}`] = ack;
    }),
  );
  // Chat answers nothing yet: every send beyond the queue is answered now, however long it waits.
  const deadline = Date.now() + 5_000;
  while (Object.keys(acks).length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const refused = Object.entries(acks).filter(([, ack]) => ack.error?.code === 'REALTIME_SEND_QUEUE_FULL');
  t.ok(refused.length > 0, 'some sends are refused while chat has answered nothing');
  t.equal(refused.length, Object.keys(acks).length, 'only refusals come back before chat answers');
  t.ok(
    refused.every(([, ack]) => ack.ok === false && ack.error?.retryAfterMs === 1_000),
    'each refusal says when to try again',
  );

  // Chat catches up: the queued sends go, none of the refused ones.
  const deadlineAll = Date.now() + 5_000;
  while (Object.keys(acks).length < SENDS && Date.now() < deadlineAll) {
    chat.release();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(sent);
  const stored = Object.entries(acks).filter(([, ack]) => ack.ok);
  t.equal(stored.length + refused.length, SENDS, 'every send is either stored or refused');
  t.same(
    stored.map(([text]) => text).sort(),
    [...chat.received].sort(),
    'chat was handed exactly the stored sends: no refused one reached it',
  );
  t.equal(stored.length, QUEUE_LIMIT, 'as many as the queue holds, waiting or out');
});

t.test('a send refused for a full queue costs no send budget', async (t) => {
  // Five sends a minute: nothing more within the test, and a queue of one.
  const { chat, send } = await overloadedGateway(t, 1, { burst: 5, perMinute: 5 });
  const first = send(0);
  while (chat.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  // Chat is answering nothing: the queue is full, so the next ones are refused.
  for (let n = 1; n <= 3; n++) {
    const ack = await send(n);
    t.equal(ack.error?.code, 'REALTIME_SEND_QUEUE_FULL', `send ${n} refused for the queue`);
  }
  chat.release();
  t.ok((await first).ok, 'the queued send is stored');

  // One message stored so far: the budget of five has room for the three refused, sent again.
  const answering = setInterval(() => chat.release(), 10);
  t.teardown(() => clearInterval(answering));
  for (let n = 1; n <= 3; n++) {
    const ack = await send(n);
    t.ok(ack.ok, `refused send ${n}, sent again, is stored (${ack.error?.code ?? 'ok'})`);
  }
});
