import type { Logger } from '@parley/service-kit';
import type { Server } from 'socket.io';
import type { ChatClient } from './chat-client';
import type { OrderedDelivery } from './ordered-delivery';

/** Users whose conversations are read at once while catching up. */
const CONCURRENCY = 4;
/** Replicas wait up to this long before starting, so that they do not all ask chat at once. */
const SPREAD_MS = 500;

export interface CatchUpOptions {
  io: Server;
  chat: ChatClient;
  logger: Logger;
  /** What each conversation's room is named after: the prefix, then the conversation's id. */
  roomPrefix: string;
  spreadMs?: number;
}

interface LocalSocket {
  id: string;
  rooms: Set<string>;
  connected: boolean;
  join(room: string): unknown;
  leave(room: string): unknown;
  emit(event: 'member:added', data: { conversationId: string; userId: string }): unknown;
  data: { principal?: { userId: string }; delivery?: OrderedDelivery };
}

/**
 * Brings this replica's sockets up to date after its subscription to the other replicas (the
 * Socket.IO Redis adapter) was cut. A message another replica broadcast meanwhile never reached
 * this one, and nothing else would bring it before the conversation's next message or the
 * client's next sync. Each user's conversations are read once for all of the user's sockets here,
 * a few users at a time; each socket then reads from history only what it lacks.
 *
 * A removal broadcast meanwhile was lost too: a socket leaves the room of a conversation that it
 * was in before the read and that the read no longer lists. A room joined after the read began is
 * kept, as the read may predate the membership.
 *
 * So was an addition: a socket joins the room of a listed conversation it was in neither before
 * nor after the read, and its client is told (`member:added`, as the event would have), unless
 * the socket left that room while the read was under way (a removal the read may predate).
 */
export class AdapterCatchUp {
  private running = false;
  private again = false;
  private readonly spreadMs: number;

  constructor(private readonly options: CatchUpOptions) {
    this.spreadMs = options.spreadMs ?? SPREAD_MS;
  }

  /** Starts a catch-up, or one more after the one under way (the cut may have come mid-way). */
  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * this.spreadMs));
        await this.catchUpAll();
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  private async catchUpAll(): Promise<void> {
    const { io, chat, logger, roomPrefix } = this.options;
    const byUser = new Map<string, LocalSocket[]>();
    for (const socket of io.of('/').sockets.values() as Iterable<LocalSocket>) {
      const userId = socket.data.principal?.userId;
      if (!userId || !socket.data.delivery) continue;
      const sockets = byUser.get(userId) ?? [];
      sockets.push(socket);
      byUser.set(userId, sockets);
    }
    const users = [...byUser.entries()];
    logger.info({ users: users.length }, 'adapter reconnected; catching up the sockets of this replica');
    let failed = 0;
    const next = async (): Promise<void> => {
      for (let entry = users.shift(); entry; entry = users.shift()) {
        const [userId, sockets] = entry;
        const left = new Set<string>();
        const onLeave = (room: string, socketId: string) => left.add(`${socketId} ${room}`);
        io.of('/').adapter.on('leave-room', onLeave);
        try {
          const before = new Map(sockets.map((socket) => [socket, new Set(socket.rooms)]));
          const conversations = await chat.conversations(userId);
          const listed = new Set(conversations.map(({ id }) => roomPrefix + id));
          for (const socket of sockets) {
            if (!socket.connected) continue;
            for (const { id, lastSeq } of conversations) {
              const room = roomPrefix + id;
              if (socket.rooms.has(room)) {
                socket.data.delivery?.behind(id, lastSeq);
              } else if (!before.get(socket)?.has(room) && !left.has(`${socket.id} ${room}`)) {
                void socket.join(room);
                socket.data.delivery?.start(id, lastSeq);
                socket.emit('member:added', { conversationId: id, userId });
              }
            }
            for (const room of before.get(socket) ?? []) {
              if (!room.startsWith(roomPrefix) || listed.has(room) || !socket.rooms.has(room)) continue;
              void socket.leave(room);
              socket.data.delivery?.forget(room.slice(roomPrefix.length));
            }
          }
        } catch (err) {
          // The client's own sync, or the conversation's next message, still brings what it lacks.
          failed += 1;
          if (failed === 1)
            logger.warn({ err, userId }, 'catching up a user after the adapter came back failed');
        } finally {
          io.of('/').adapter.off('leave-room', onLeave);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, next));
    if (failed > 0) logger.warn({ failed }, 'some users were not caught up after the adapter came back');
  }
}
