import { type Socket, io } from 'socket.io-client';
import type { Test } from 'tap';
import { eventually } from './stack';

export interface Ack {
  ok: boolean;
  error?: { code: string; message: string };
  [key: string]: unknown;
}

/** A real Socket.IO client that records every event it receives, in order. */
export class TestClient {
  readonly received: { event: string; data: Record<string, unknown> }[] = [];

  constructor(readonly socket: Socket) {
    socket.onAny((event: string, data: Record<string, unknown>) => this.received.push({ event, data }));
  }

  /** Data of each received event with this name, in arrival order. */
  events<T = Record<string, unknown>>(event: string): T[] {
    return this.received.filter((r) => r.event === event).map((r) => r.data as T);
  }

  request(event: string, data: unknown): Promise<Ack> {
    return this.socket.timeout(20_000).emitWithAck(event, data) as Promise<Ack>;
  }

  /** Waits until `count` events of this name (matching `where`) have arrived. */
  async waitFor<T = Record<string, unknown>>(
    event: string,
    where: (data: T) => boolean = () => true,
    count = 1,
    timeoutMs = 30_000,
  ): Promise<T[]> {
    return eventually(async () => {
      const found = this.events<T>(event).filter(where);
      return found.length >= count ? found : undefined;
    }, timeoutMs);
  }

  close(): void {
    this.socket.disconnect();
  }
}

export interface ConnectOptions {
  /** The page's origin: the gateway's own by default; '' sends no Origin header. */
  origin?: string | undefined;
  token?: unknown;
  /** What the client holds, per conversation: the gateway catches it up from there. */
  sync?: Record<string, number>;
}

/**
 * Connects to a gateway over WebSocket as a browser page of `origin` would (the gateway's own
 * origin unless told otherwise); resolves once connected, closed with the test.
 */
export async function connectClient(
  t: Test,
  gatewayUrl: string,
  options: ConnectOptions,
): Promise<TestClient> {
  const socket = openSocket(gatewayUrl, options);
  t.teardown(() => {
    socket.disconnect();
  });
  // Recording starts before the connection, so nothing sent right after it is missed.
  const client = new TestClient(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  return client;
}

/** Tries to connect and resolves with the refusal's `data.code`, or 'CONNECTED' if it was let in. */
export async function refusalCode(gatewayUrl: string, options: ConnectOptions): Promise<string> {
  return (await refusal(gatewayUrl, options)).code;
}

/** Tries to connect and resolves with the refusal's `data`, or the code 'CONNECTED'. */
export async function refusal(
  gatewayUrl: string,
  options: ConnectOptions,
): Promise<{ code: string; message?: string }> {
  const socket = openSocket(gatewayUrl, options);
  try {
    return await new Promise((resolve) => {
      socket.once('connect', () => resolve({ code: 'CONNECTED' }));
      socket.once('connect_error', (err: Error & { data?: { code?: string; message?: string } }) =>
        resolve({ code: err.data?.code ?? `NO_CODE: ${err.message}`, message: err.data?.message }),
      );
    });
  } finally {
    socket.disconnect();
  }
}

function openSocket(gatewayUrl: string, options: ConnectOptions): Socket {
  // The gateway's own origin unless told otherwise; an empty string sends none.
  const origin = options.origin ?? new URL(gatewayUrl).origin;
  return io(gatewayUrl, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { token: options.token, ...(options.sync ? { sync: options.sync } : {}) },
    extraHeaders: origin ? { origin } : {},
  });
}
