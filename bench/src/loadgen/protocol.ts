/** Messages between the orchestrator and the load generator child process. */

export type ClientKind = 'parley' | 'socketio' | 'centrifugo';

export interface ClientSpec {
  /** Server address: a Socket.IO origin, or Centrifugo's WebSocket URL. */
  url: string;
  /** Access token (Parley) or connection JWT (Centrifugo). */
  token?: string;
  /** Rooms (Centrifugo channels, bare Socket.IO rooms) the client joins itself. */
  rooms: string[];
  /** Loopback source address, so that many clients do not exhaust one address's ports. */
  localAddress?: string;
}

export interface RoomSpec {
  id: string;
  /** Indexes (into the connected clients) of the room's members; senders take turns. */
  members: number[];
}

export interface RunSpec {
  runId: string;
  /** Messages per second across all rooms. */
  rate: number;
  durationMs: number;
  /** How long after the last send deliveries still count. */
  drainMs: number;
  payloadBytes: number;
  rooms: RoomSpec[];
  /** Centrifugo: messages are published through its server HTTP API. */
  publishApi?: { url: string; key: string };
}

export type Command =
  | {
      type: 'connect';
      kind: ClientKind;
      clients: ClientSpec[];
      concurrency: number;
      /** Keep the clients already connected and add these. */
      append?: boolean;
      /** Keep the clients already connected, and close and connect anew those at these indexes. */
      replace?: number[];
      /** Start no new connection after this many ms (the rest count as not connected). */
      withinMs?: number;
    }
  | { type: 'run'; spec: RunSpec }
  | { type: 'disconnect' };

export interface RunResult {
  runId: string;
  rate: number;
  sent: number;
  expected: number;
  received: number;
  duplicates: number;
  /** Sends the server refused or that failed (acks with ok: false, failed HTTP calls). */
  errors: number;
  firstError?: string;
  latencyMs: { count: number; p50: number; p90: number; p99: number; max: number };
  /**
   * Where the server stamps a message with the time it stored it (the full stack): the median
   * from the planned send to that stamp, and from it to each delivery. The stamp has millisecond
   * resolution.
   */
  stagesMs?: { toStoredP50: number; storedToDeliveredP50: number };
  /** The load generator's own lateness in sending, p99 in ms. */
  sendLagP99Ms: number;
  /** Deliveries per second actually received over the send window. */
  deliveriesPerSecond: number;
}

export type Report =
  | { type: 'progress'; text: string }
  | { type: 'connected'; count: number; failed: number; firstError?: string; ms: number }
  | { type: 'result'; result: RunResult }
  | { type: 'disconnected' }
  | { type: 'error'; message: string };
