import { type Socket, io } from 'socket.io-client';
import WebSocket from 'ws';
import type { ClientKind, ClientSpec } from './protocol';

/** One connected client of any kind, as the load generator drives it. */
export interface BenchClient {
  /** Sends a message body to a room; `onError` is called if the server refuses it. */
  send(room: string, body: string, onError: (reason: string) => void): void;
  close(): void;
}

/** `storedAt`: when the server stored the message (epoch ms), where its protocol says so. */
export type OnMessage = (body: string, storedAt?: number) => void;

export function connect(kind: ClientKind, spec: ClientSpec, onMessage: OnMessage): Promise<BenchClient> {
  return kind === 'centrifugo' ? connectCentrifugo(spec, onMessage) : connectSocketIo(kind, spec, onMessage);
}

/**
 * A Socket.IO client. Against Parley it speaks the gateway's protocol (`message:send` with an ack,
 * `message` events); against the bare server, `send` and `message` with the body alone.
 */
function connectSocketIo(kind: ClientKind, spec: ClientSpec, onMessage: OnMessage): Promise<BenchClient> {
  const origin = new URL(spec.url).origin;
  const socket: Socket = io(spec.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: spec.token ? { token: spec.token } : {},
    extraHeaders: { origin },
    // Passed on to the WebSocket connection; engine.io's types do not list it.
    ...({ localAddress: spec.localAddress } as object),
  });
  if (kind === 'parley') {
    socket.on('message', (message: { text?: string; createdAt?: string }) =>
      onMessage(message.text ?? '', message.createdAt ? Date.parse(message.createdAt) : undefined),
    );
  } else {
    socket.on('message', (body: string) => onMessage(body));
  }
  const client: BenchClient = {
    send(room, body, onError) {
      if (kind === 'parley') {
        const payload = { conversationId: room, clientMessageId: crypto.randomUUID(), text: body };
        socket
          .timeout(30_000)
          .emit(
            'message:send',
            payload,
            (err: Error | null, ack?: { ok: boolean; error?: { code: string } }) => {
              if (err) onError(`no ack: ${err.message}`);
              else if (!ack?.ok) onError(ack?.error?.code ?? 'refused');
            },
          );
      } else {
        socket.emit('send', room, body);
      }
    },
    close: () => socket.disconnect(),
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      if (kind === 'socketio') socket.emit('join', spec.rooms, () => resolve(client));
      else resolve(client);
    });
    socket.once('connect_error', (err: Error & { data?: { code?: string } }) => {
      socket.disconnect();
      reject(new Error(err.data?.code ?? err.message));
    });
  });
}

/** A Centrifugo client over its JSON protocol on a raw WebSocket. */
function connectCentrifugo(spec: ClientSpec, onMessage: OnMessage): Promise<BenchClient> {
  const ws = new WebSocket(spec.url, {
    headers: { origin: new URL(spec.url).origin.replace(/^ws/, 'http') },
    ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
  });
  const pending = new Map<number, (reply: Record<string, unknown>) => void>();
  let nextId = 1;
  const command = (body: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (reply) =>
        reply.error ? reject(new Error(JSON.stringify(reply.error))) : resolve(reply),
      );
      ws.send(JSON.stringify({ id, ...body }));
    });
  ws.on('message', (data: WebSocket.RawData) => {
    // One frame may carry several replies and pushes, one JSON object per line.
    for (const line of data.toString().split('\n')) {
      if (!line) continue;
      const frame = JSON.parse(line) as {
        id?: number;
        push?: { pub?: { data?: { body?: string } } };
      };
      if (frame.id) {
        pending.get(frame.id)?.(frame as Record<string, unknown>);
        pending.delete(frame.id);
      } else if (frame.push?.pub) {
        onMessage(frame.push.pub.data?.body ?? '');
      } else if (!frame.push) {
        ws.send('{}'); // The server's ping: answer with a pong.
      }
    }
  });
  const client: BenchClient = {
    send: () => {
      throw new Error('Centrifugo messages are published through the server API');
    },
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      void (async () => {
        await command({ connect: { token: spec.token, name: 'bench' } });
        for (const channel of spec.rooms) await command({ subscribe: { channel } });
        resolve(client);
      })().catch(reject);
    });
  });
}
