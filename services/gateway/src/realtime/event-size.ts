import { Decoder, Encoder, type Packet } from 'socket.io-parser';

/**
 * The largest event a client may send, in characters of its encoded packet (bytes for binary
 * parts). Every event the gateway accepts fits within it: a sync naming the most conversations
 * allowed is under 50 KB, a message with its longest text (escaped) and most mentions under 35 KB.
 * A larger event is answered with `REALTIME_EVENT_TOO_LARGE` and the socket stays open.
 */
export const MAX_EVENT_SIZE = 64 * 1024;

/**
 * The largest frame (websocket) or request body (polling) the server reads at all; a larger one
 * closes the connection, so that no client makes a replica hold more than this for one read.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * Measures each event as the parser decodes it. The size of a packet's text is known without
 * reading it (its length), so an ordinary event costs nothing more; the decoded arguments of an
 * event over the limit are remembered, and the socket's middleware refuses them by identity
 * (Socket.IO hands the middleware the very array the parser produced).
 */
export class EventSizeCheck {
  /** For the Socket.IO server's `parser` option. */
  readonly parser: { Encoder: typeof Encoder; Decoder: new () => Decoder };
  private readonly oversized = new WeakSet<object>();

  constructor(readonly limit: number = MAX_EVENT_SIZE) {
    const oversized = this.oversized;
    this.parser = {
      Encoder,
      Decoder: class MeasuringDecoder extends Decoder {
        /** The size of the packet being decoded: its text, then each binary attachment. */
        private size = 0;

        constructor() {
          super();
          // Registered before the client's own listener, so the mark is there when it dispatches.
          this.on('decoded', (packet: Packet) => {
            if (this.size > limit && Array.isArray(packet.data)) oversized.add(packet.data);
          });
        }

        override add(chunk: unknown): void {
          // A packet starts with its text; binary attachments, if any, follow it.
          if (typeof chunk === 'string') this.size = chunk.length;
          else this.size += (chunk as { byteLength?: number }).byteLength ?? 0;
          super.add(chunk);
        }
      },
    };
  }

  /** Whether an event's arguments, as the socket middleware receives them, came over the limit. */
  isOversized(args: readonly unknown[]): boolean {
    return this.oversized.has(args);
  }
}
