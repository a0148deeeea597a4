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
import { MAX_EVENT_SIZE, MAX_FRAME_BYTES } from '../src/realtime/event-size';
import { RevokedSessions } from '../src/realtime/revoked-sessions';
import { Realtime } from '../src/realtime/server';
import { tokenFor, unsignedVerifier } from './test-tokens';

/** Chat as the real-time layer sees it: one conversation, and every send it is asked stored. */
class ChatSends implements ChatClient {
  readonly sent: string[] = [];

  async conversations() {
    return [{ id: CONVERSATION, lastSeq: 0 }];
  }
  async audience() {
    return { userIds: ['u_alice'], hidden: [] };
  }
  async history() {
    return { items: [], lastSeq: this.sent.length };
  }
  async send(_userId: string, _conversationId: string, body: unknown): Promise<ChatMessageView> {
    const { text } = body as { text: string };
    this.sent.push(text);
    return { ...message(this.sent.length), text };
  }
  async receipt(): Promise<{ kind: string; seq: number }> {
    throw new Error('not used here');
  }
}

/** One gateway replica over a private Redis, closed (then Redis stopped) at the end of the test. */
async function gateway(t: Test) {
  const redisProcess = await redisServer(t);
  const redis = new Redis(redisProcess.port, '127.0.0.1', { maxRetriesPerRequest: 3 });
  const chat = new ChatSends();
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
  });
  const server = createServer();
  realtime.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await realtime.close();
    redis.disconnect();
    await redisProcess.kill();
  });
  return { chat, port: (server.address() as AddressInfo).port };
}

async function connect(t: Test, port: number, transport: 'websocket' | 'polling') {
  const socket: Socket = io(`http://127.0.0.1:${port}`, {
    transports: [transport],
    auth: { token: tokenFor('u_alice') },
    reconnection: false,
  });
  t.teardown(() => socket.disconnect());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

const send = (text: string, extra: object = {}) => ({
  conversationId: CONVERSATION,
  clientMessageId: `client-${Math.random().toString(36).slice(2, 12)}`,
  text,
  ...extra,
});

interface Ack {
  ok: boolean;
  error?: { code: string };
  message?: { text: string };
}

for (const transport of ['websocket', 'polling'] as const) {
  t.test(`an oversized event over ${transport} is answered and the socket stays`, async (t) => {
    const { chat, port } = await gateway(t);
    const socket = await connect(t, port, transport);
    let disconnected = false;
    socket.on('disconnect', () => {
      disconnected = true;
    });

    const refused = (await socket
      .timeout(5_000)
      .emitWithAck('message:send', send('x'.repeat(100_000)))) as Ack;
    t.match(refused, { ok: false, error: { code: 'REALTIME_EVENT_TOO_LARGE' } });
    t.same(chat.sent, [], 'chat is not asked');

    const binary = (await socket
      .timeout(5_000)
      .emitWithAck('message:send', send('hello', { blob: Buffer.alloc(MAX_EVENT_SIZE) }))) as Ack;
    t.match(binary, { ok: false, error: { code: 'REALTIME_EVENT_TOO_LARGE' } }, 'binary parts count too');

    const accepted = (await socket.timeout(5_000).emitWithAck('message:send', send('still here'))) as Ack;
    t.match(accepted, { ok: true, message: { text: 'still here' } }, 'the same socket sends again');
    t.same(chat.sent, ['still here']);
    t.equal(socket.connected, true);
    t.equal(disconnected, false);
  });
}

t.test('an event of the largest size accepted reaches its handler', async (t) => {
  const { port } = await gateway(t);
  const socket = await connect(t, port, 'websocket');
  // Just under the limit once encoded: the schema, not the size check, refuses this text.
  const ack = (await socket
    .timeout(5_000)
    .emitWithAck('message:send', send('y'.repeat(MAX_EVENT_SIZE - 200)))) as Ack;
  t.match(ack, { ok: false, error: { code: 'VALIDATION_FAILED' } });
});

t.test('a frame over the hard cap closes the connection', async (t) => {
  const { port } = await gateway(t);
  const socket = await connect(t, port, 'websocket');
  const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
  socket.emit('message:send', send('z'.repeat(MAX_FRAME_BYTES + 1)));
  t.equal(await closed, 'transport close');
});
