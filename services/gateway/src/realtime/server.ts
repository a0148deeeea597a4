import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { ChatMessageView, UserBlockChangedEvent } from '@parley/contracts';
import type { Principal, TokenVerifier } from '@parley/identity';
import { AppError, type Logger, socketConnections, socketEvents } from '@parley/service-kit';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import type { z } from 'zod';
import { BlockChangeLog, type BlockChangeMark } from './block-change-log';
import type { ChatClient } from './chat-client';
import { HandshakeError, NotAMemberError, SendQueueFullError, SendsLimitedError, ackError } from './errors';
import { AdapterCatchUp } from './catch-up';
import { EventBudget } from './event-budget';
import { EventSizeCheck, MAX_FRAME_BYTES } from './event-size';
import { checkHandshake, loadMembership } from './handshake';
import type { RevokedSessions } from './revoked-sessions';
import { OrderedDelivery } from './ordered-delivery';
import { HEARTBEAT_MS, PresenceStore, type PresenceView } from './presence';
import { reportOutages } from '../redis-outages';
import { SendBudget, type SendBudgetSettings } from '../rate-limits/send-budget';
import {
  presenceQueryEvent,
  presenceSetEvent,
  receiptEvent,
  sendEvent,
  syncEvent,
  typingEvent,
} from './socket-events';

export interface RealtimeOptions {
  allowedOrigins: readonly string[];
  verifier: TokenVerifier;
  chat: ChatClient;
  /** A connection for commands; the adapter opens its own publish and subscribe pair from it. */
  redis: Redis;
  /** Sessions ended early: their sockets are refused and closed. */
  revokedSessions: RevokedSessions;
  /** How many events one socket may send: on average per second, and at once. */
  eventBudget: { perSecond: number; burst: number };
  /** How many messages one user may send, over every socket and replica (and REST). */
  sendBudget: SendBudgetSettings;
  /** Sockets one user may hold open at once, over every replica; one more is refused. */
  socketsPerUser: number;
  logger: Logger;
  /** Up to how long a replica waits, at random, before catching up after the adapter is back. */
  catchUpSpreadMs?: number;
}

/** How long a typing indicator lasts unless renewed, and how often a user may renew it. */
export const TYPING_TTL_MS = 5_000;
export const TYPING_THROTTLE_MS = 2_000;

export const conversationRoom = (id: string) => `conversation:${id}`;
export const userRoom = (id: string) => `user:${id}`;
export const sessionRoom = (id: string) => `session:${id}`;

interface SocketData {
  principal: Principal;
  conversations: { id: string; lastSeq: number }[];
  /**
   * Who sees this user's presence, and co-members who must not see their typing (blocks): read at
   * the handshake and again at each presence change.
   */
  audience: string[];
  hidden: string[];
  /** Which request for the audience the copy above answers; an older answer arriving late is dropped. */
  audienceTicket?: number;
  /** Taken before the handshake read the audience: a block change since means reading it again. */
  audienceMark?: BlockChangeMark;
  /** When the access token the socket connected with expires, in ms since the epoch. */
  expiresAt: number;
  /** What the client held when it connected, per conversation (`auth.sync`). */
  cursors: Record<string, number>;
  delivery: OrderedDelivery;
  /** The user's devices once this socket was counted, or undefined when Redis could not count. */
  devices?: number;
  /** Takes the socket's device back should its connection close before it connects. */
  dropDevice?: () => void;
}

type ChatSocket = Socket<
  Record<string, never>,
  Record<string, (...args: unknown[]) => void>,
  Record<string, never>,
  SocketData
>;

/** The real-time layer on one gateway replica; replicas share rooms through the Redis adapter. */
export class Realtime {
  readonly io: Server;
  private readonly presence: PresenceStore;
  private readonly subscriber: Redis;
  private readonly publisher: Redis;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly catchUp: AdapterCatchUp;
  private readonly eventSize = new EventSizeCheck();
  private readonly sendBudget: SendBudget;
  /** Presence updates of sockets that went away, still under way; closing waits for them. */
  private readonly leaving = new Set<Promise<void>>();
  /** Numbers requests for a user's audience, so that sockets keep the newest answer only. */
  private audienceTickets = 0;
  /** Whose blocks changed lately, for sockets whose handshake read their audience before. */
  private readonly blockChanges = new BlockChangeLog();

  constructor(private readonly options: RealtimeOptions) {
    const { redis, logger } = options;
    this.publisher = redis.duplicate();
    this.subscriber = redis.duplicate();
    markFailuresHandled(this.publisher, ['publish', 'spublish']);
    markFailuresHandled(this.subscriber, ['unsubscribe', 'punsubscribe', 'sunsubscribe']);
    this.presence = new PresenceStore(redis, randomUUID());
    this.sendBudget = new SendBudget(redis, options.sendBudget);
    void this.beat();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS).unref();
    this.io = new Server({
      serveClient: false,
      // Above this a connection is closed; events up to it are read and, when over the event
      // limit, answered (see EventSizeCheck).
      maxHttpBufferSize: MAX_FRAME_BYTES,
      parser: this.eventSize.parser,
      cors: { origin: [...options.allowedOrigins], credentials: true },
      adapter: createAdapter(this.publisher, this.subscriber),
    });
    this.catchUp = new AdapterCatchUp({
      io: this.io,
      chat: options.chat,
      logger,
      roomPrefix: conversationRoom(''),
      spreadMs: options.catchUpSpreadMs,
    });
    this.watchAdapter();
    this.io.use(
      checkHandshake(new Set(options.allowedOrigins), options.verifier, options.revokedSessions, logger),
    );
    this.io.use(loadMembership(options.chat, this.blockChanges, logger));
    this.io.use((socket, next) => this.countDevice(socket as unknown as ChatSocket, next));
    // Last: nothing is awaited between it and the socket joining its user's room.
    this.io.use((socket, next) => this.confirmAudience(socket as unknown as ChatSocket, next));
    this.io.on('connection', (socket) => this.onConnection(socket as unknown as ChatSocket));
    // A message event reaches one replica; it hands it to every replica for their own sockets.
    this.io.on('chat:message' as never, (message: ChatMessageView) => this.deliverLocally(message));
    // So does a block change: each replica refreshes the pair's sockets it holds, then answers.
    this.io.on('user:block' as never, (change: BlockChange, done: (refreshed: boolean) => void) => {
      this.refreshPair(change).then(
        () => done(true),
        (err: unknown) => {
          logger.warn({ err, ...change }, 'audience not refreshed after a block change');
          done(false);
        },
      );
    });
  }

  attach(server: HttpServer): void {
    this.io.attach(server);
  }

  /** A new message: to the sockets of its conversation on every replica, each in order. */
  messageCreated(message: ChatMessageView): void {
    this.deliverLocally(message);
    this.io.serverSideEmit('chat:message', message);
  }

  /** Any other conversation event, as is, to the conversation's sockets on every replica. */
  toConversation(conversationId: string, event: string, data: object): void {
    this.io.to(conversationRoom(conversationId)).emit(event, data);
  }

  memberAdded(conversationId: string, userId: string, data: object): void {
    this.io.in(userRoom(userId)).socketsJoin(conversationRoom(conversationId));
    // The join reaches other replicas a moment later, so the new member is told directly too.
    this.io.to([conversationRoom(conversationId), userRoom(userId)]).emit('member:added', data);
  }

  memberRemoved(conversationId: string, userId: string, data: object): void {
    this.io.to([conversationRoom(conversationId), userRoom(userId)]).emit('member:removed', data);
    this.io.in(userRoom(userId)).socketsLeave(conversationRoom(conversationId));
  }

  /**
   * One user blocked or unblocked another: both users' sockets, on every replica, read their
   * audience again, so typing and presence stop crossing between the two (or cross again) at once.
   * A block is applied before chat is asked, so it holds even while chat is away. Then each is
   * shown the other offline (a block), or as they are (an unblock, when they share a
   * conversation): sent once every replica has answered, after any presence a replica sent with
   * the old audience. Resolves once every replica has refreshed; rejects when one could not (chat
   * away, or no answer within the adapter's request timeout), so the event is delivered again.
   */
  async blockChanged(change: BlockChange): Promise<void> {
    const others = this.io.serverSideEmitWithAck('user:block' as never, change as never) as Promise<
      boolean[]
    >;
    const [here, there] = await Promise.allSettled([this.refreshPair(change), others]);
    if (change.blocked) this.hidePair(change);
    if (here.status === 'rejected') throw here.reason;
    if (there.status === 'rejected') throw there.reason;
    if (there.value.some((refreshed) => !refreshed)) {
      throw new Error('a gateway replica could not refresh audiences after a block change');
    }
    if (!change.blocked) await this.showPair(change);
  }

  /** Tells the sockets of ended sessions, on every replica, and closes them. */
  endSessions(sessionIds: readonly string[]): void {
    const rooms = sessionIds.map(sessionRoom);
    this.io.to(rooms).emit('auth:revoked', { code: 'AUTH_SESSION_REVOKED' });
    this.io.in(rooms).disconnectSockets(true);
  }

  /** Disconnects every socket of this replica (clients reconnect to another). */
  async drain(): Promise<void> {
    this.io.disconnectSockets(true);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    // Each closed socket's device is removed and, for a user gone offline, announced (through
    // the adapter's connection); only then does the replica leave and its connections close.
    await Promise.all([...this.leaving]);
    await this.presence.leave().catch(() => undefined);
    // QUIT answers after the adapter's last unsubscribes, which a plain disconnect would fail
    // unhandled; with Redis away it cannot, so it is given a moment only.
    await Promise.all(
      [this.publisher, this.subscriber].map(async (connection) => {
        const timer = setTimeout(() => connection.disconnect(), QUIT_WAIT_MS);
        await connection.quit().catch(() => undefined);
        clearTimeout(timer);
        connection.disconnect();
      }),
    );
  }

  /**
   * Broadcasts of other replicas are lost while the adapter's subscription is cut (Redis restarted
   * or unreachable). Once it is back, and the channels are subscribed again (a PING on the same
   * connection answers after the resubscription), this replica's sockets catch up from chat.
   */
  private watchAdapter(): void {
    let cut = false;
    const failed = 'adapter connection to Redis failed; retrying';
    reportOutages(this.publisher, this.options.logger, failed, { connection: 'publish' });
    reportOutages(this.subscriber, this.options.logger, failed, { connection: 'subscribe' });
    this.subscriber.on('close', () => {
      cut = true;
    });
    this.subscriber.on('ready', () => {
      if (!cut) return;
      cut = false;
      this.subscriber.ping().then(
        () => this.catchUp.request(),
        (err: unknown) => {
          // Cut again before it answered: the next 'ready' starts the catch-up.
          cut = true;
          this.options.logger.warn({ err }, 'adapter subscription not confirmed after reconnecting');
        },
      );
    });
  }

  /**
   * Renews this replica's heartbeat, then clears the devices of replicas that died without
   * closing their sockets and announces the users who went away or offline with them.
   */
  private async beat(): Promise<void> {
    try {
      await this.presence.heartbeat();
      for (const view of await this.presence.sweep()) {
        if (view.status === 'online') continue;
        const audience = await this.options.chat.audience(view.userId);
        this.announceTo(audience.userIds, view);
      }
    } catch (err) {
      this.options.logger.warn({ err }, 'presence heartbeat or sweep failed; retrying at the next beat');
    }
  }

  /**
   * Sends a new message to this replica's sockets of its conversation. Where it is next in line,
   * as it nearly always is, the sockets get it in one broadcast, which encodes it once for all;
   * a socket still catching up (or missing one before it) holds it in order instead.
   */
  private deliverLocally(message: ChatMessageView): void {
    const nsp = this.io.of('/');
    const room = nsp.adapter.rooms.get(conversationRoom(message.conversationId));
    const due: string[] = [];
    for (const id of room ?? []) {
      const delivery = (nsp.sockets.get(id) as unknown as ChatSocket | undefined)?.data.delivery;
      if (delivery?.claimNext(message)) due.push(id);
      else delivery?.live(message);
    }
    // Each socket is in a room named by its id; `local` keeps the broadcast off the adapter.
    if (due.length > 0) this.io.local.to(due).emit('message', message);
  }

  private onConnection(socket: ChatSocket): void {
    const { chat, logger } = this.options;
    socketConnections.inc();
    // Event names are labels: only known ones, so a client cannot grow the series without bound.
    socket.onAny((event: string) => {
      socketEvents.inc({ event: KNOWN_EVENTS.has(event) ? event : 'unknown', direction: 'in' });
    });
    socket.onAnyOutgoing((event: string) => socketEvents.inc({ event, direction: 'out' }));
    // Every event spends from the socket's budget, refused ones and unknown ones too; one over it
    // is answered at once and goes no further (an unknown event is answered by its own listener).
    const budget = new EventBudget(this.options.eventBudget.perSecond, this.options.eventBudget.burst);
    socket.use(([event, ...args], next) => {
      const waitMs = budget.take();
      if (waitMs === 0) return next();
      const ack = args.at(-1);
      if (typeof ack === 'function' && KNOWN_EVENTS.has(String(event))) {
        ack({
          ok: false,
          error: { code: 'RATE_LIMITED', message: 'Too many events; slow down.', retryAfterMs: waitMs },
        });
      }
    });
    // An event over the size limit is answered and goes no further; the socket stays.
    socket.use((packet, next) => {
      if (!this.eventSize.isOversized(packet)) return next();
      const ack = packet.at(-1);
      if (typeof ack === 'function' && KNOWN_EVENTS.has(String(packet[0]))) {
        ack({
          ok: false,
          error: {
            code: 'REALTIME_EVENT_TOO_LARGE',
            message: `An event may be at most ${this.eventSize.limit} characters long.`,
          },
        });
      }
    });
    const { userId, sessionId } = socket.data.principal;
    const log = logger.child({ component: 'realtime', userId, socketId: socket.id });
    const delivery = new OrderedDelivery(
      (message) => socket.emit('message', message),
      (conversationId, after, limit) => chat.history(userId, conversationId, after, limit),
      (err, conversationId) => log.warn({ err, conversationId }, 'filling a gap failed'),
      // Chat's own 4xx answer (the user left the conversation) ends the conversation's delivery;
      // chat or a sidecar away only delays it.
      { isRefusal: (err) => err instanceof AppError && err.status >= 400 && err.status < 500 },
    );
    socket.data.delivery = delivery;
    // A socket lives no longer than its access token: the client reconnects with a fresh one.
    const expiry = setTimeout(
      () => {
        socket.emit('auth:expired', { code: 'AUTH_TOKEN_EXPIRED' });
        socket.disconnect(true);
      },
      Math.max(0, Math.min(socket.data.expiresAt - Date.now(), MAX_TIMER_MS)),
    );
    void socket.join(userRoom(userId));
    void socket.join(sessionRoom(sessionId));
    for (const { id, lastSeq } of socket.data.conversations) {
      void socket.join(conversationRoom(id));
      delivery.start(id, lastSeq);
    }
    this.syncFromHandshake(socket, log);
    const member = (conversationId: string) => {
      if (!socket.rooms.has(conversationRoom(conversationId))) throw new NotAMemberError(conversationId);
    };

    this.handle(socket, log, 'message:send', sendEvent, async (body) => {
      const { conversationId, ...rest } = body;
      // Rooms follow membership events, which may trail a membership made a moment ago (a group
      // just created, an invitation just accepted). Chat decides instead, refusing a non-member
      // with the same not-found answer; a send it accepts proves membership, so the socket joins.
      const waitMs = await this.sendBudget.spend(userId);
      if (waitMs > 0) throw new SendsLimitedError(waitMs);
      const message = await chat.send(userId, conversationId, rest).catch(async (err: unknown) => {
        // Refused before it reached chat: the client sends it again after the wait, at no cost.
        if (err instanceof SendQueueFullError) await this.sendBudget.refund(userId);
        throw err;
      });
      const room = conversationRoom(conversationId);
      if (!socket.rooms.has(room)) void socket.join(room);
      return { message };
    });

    this.handle(socket, log, 'sync', syncEvent, async ({ conversations }) => {
      const entries = Object.entries(conversations);
      for (const [conversationId] of entries) member(conversationId);
      const synced: Record<string, number> = {};
      for (const [conversationId, held] of entries) {
        synced[conversationId] = await delivery.sync(conversationId, held);
      }
      return { synced };
    });

    this.handle(socket, log, 'typing', typingEvent, async ({ conversationId, active }) => {
      member(conversationId);
      const key = `parley:typing:${conversationId}:${userId}`;
      if (active) {
        const fresh = await this.options.redis.set(key, '1', 'PX', TYPING_THROTTLE_MS, 'NX');
        if (fresh !== 'OK') return { throttled: true };
      } else {
        await this.options.redis.del(key);
      }
      const expiresAt = new Date(Date.now() + (active ? TYPING_TTL_MS : 0)).toISOString();
      socket
        .to(conversationRoom(conversationId))
        .except(socket.data.hidden.map(userRoom))
        .emit('typing', { conversationId, userId, active, expiresAt });
      return { throttled: false };
    });

    this.handle(socket, log, 'receipt', receiptEvent, async ({ conversationId, ...body }) => {
      member(conversationId);
      return { receipt: await chat.receipt(userId, sessionId, conversationId, body) };
    });

    this.handle(socket, log, 'presence:set', presenceSetEvent, async ({ status }) => {
      const view = await this.presence.set(userId, socket.id, status);
      await this.announcePresence(socket, view);
      return { presence: view };
    });

    this.handle(socket, log, 'presence:query', presenceQueryEvent, async ({ userIds }) => {
      const audience = new Set((await chat.audience(userId)).userIds);
      const visible = userIds.filter((id) => audience.has(id));
      return { presence: await Promise.all(visible.map((id) => this.presence.get(id))) };
    });

    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      const ack = args.at(-1);
      if (typeof ack === 'function') {
        ack({ ok: false, error: { code: 'REALTIME_UNKNOWN_EVENT', message: `No event named ${event}.` } });
      }
    });

    socket.on('disconnect', () => {
      socketConnections.dec();
      clearTimeout(expiry);
      delivery.close();
      const leaving = this.presence
        .disconnect(userId, socket.id)
        .then(async (view) => {
          if (view.status !== 'online') await this.announcePresence(socket, view);
        })
        .catch((err: unknown) => log.error({ err }, 'presence update failed'))
        .finally(() => this.leaving.delete(leaving));
      this.leaving.add(leaving);
    });

    if (socket.data.dropDevice) socket.conn.off('close', socket.data.dropDevice);
    const counted = socket.data.devices;
    // Counted at the handshake; the first device brings the user online for the others.
    const connected =
      counted === undefined
        ? this.presence.connect(userId, socket.id)
        : counted === 1
          ? this.presence.get(userId)
          : undefined;
    void connected
      ?.then((view) => {
        if (view.devices === 1) this.announceTo(socket.data.audience, view);
      })
      .catch((err: unknown) => log.error({ err }, 'presence update failed'));
  }

  /**
   * Counts the socket among its user's devices, refusing it when the user already holds
   * `socketsPerUser` on any replica: each socket costs the gateway memory and the user's share of
   * chat, and tabs beyond that many are no use to a person. With Redis away the socket is let in
   * uncounted, as presence is then.
   */
  private countDevice(socket: ChatSocket, next: (err?: Error) => void): void {
    const { userId } = socket.data.principal;
    const most = this.options.socketsPerUser;
    this.presence.connectWithin(userId, socket.id, most).then(
      (devices) => {
        if (devices === 0) {
          this.options.logger.info({ userId, most }, 'socket refused: too many sockets');
          next(
            new HandshakeError(
              'REALTIME_TOO_MANY_SOCKETS',
              `At most ${most} tabs or devices may be connected at once; close one to connect this one.`,
            ),
          );
          return;
        }
        socket.data.devices = devices;
        // Socket.IO drops a socket whose connection closed during the handshake without a
        // disconnect event; its device is taken back here instead.
        const drop = () => {
          this.presence.disconnect(userId, socket.id).catch(() => undefined);
        };
        if (socket.conn.readyState !== 'open') drop();
        else {
          socket.data.dropDevice = drop;
          socket.conn.once('close', drop);
        }
        next();
      },
      (err: unknown) => {
        this.options.logger.warn({ err, userId }, 'sockets not counted: Redis unavailable');
        next();
      },
    );
  }

  /**
   * Catches up what the client said it holds at the handshake. Started before any live message
   * can reach the socket, so missed and live messages go out in one order; `synced` follows.
   */
  private syncFromHandshake(socket: ChatSocket, log: Logger): void {
    const mine = new Set(socket.data.conversations.map((c) => c.id));
    // A client that sent no cursors is not waiting for `synced`; one that did gets it, even when
    // none of what it named is a conversation of its user (nothing to catch up there).
    if (Object.keys(socket.data.cursors).length === 0) return;
    const entries = Object.entries(socket.data.cursors).filter(([id]) => mine.has(id));
    const started = entries.map(
      async ([id, held]) => [id, await socket.data.delivery.sync(id, held)] as const,
    );
    Promise.all(started).then(
      (synced) => socket.emit('synced', { conversations: Object.fromEntries(synced) }),
      (err: unknown) => {
        log.error({ err }, 'catching up failed');
        socket.emit('synced', {
          error: { code: 'REALTIME_SYNC_FAILED', message: 'Send sync to try again.' },
        });
      },
    );
  }

  /** This replica's sockets of the pair: hidden from each other at once on a block, then refreshed. */
  private async refreshPair({ blockerId, blockedId, blocked }: BlockChange): Promise<void> {
    this.blockChanges.record([blockerId, blockedId]);
    if (blocked) {
      const ticket = ++this.audienceTickets;
      for (const [userId, other] of [
        [blockerId, blockedId],
        [blockedId, blockerId],
      ] as const) {
        for (const socket of this.localSocketsOf(userId)) {
          if ((socket.data.audienceTicket ?? 0) > ticket) continue;
          socket.data.audienceTicket = ticket;
          socket.data.audience = socket.data.audience.filter((id) => id !== other);
          if (!socket.data.hidden.includes(other)) socket.data.hidden = [...socket.data.hidden, other];
        }
      }
    }
    await Promise.all([blockerId, blockedId].map((userId) => this.refreshAudience(userId)));
  }

  /** Asks chat for the user's audience and hands it to the user's sockets on this replica. */
  private async refreshAudience(userId: string, sockets = this.localSocketsOf(userId)): Promise<void> {
    if (sockets.length === 0) return;
    const ticket = ++this.audienceTickets;
    const audience = await this.options.chat.audience(userId);
    for (const socket of sockets) {
      if ((socket.data.audienceTicket ?? 0) > ticket) continue;
      socket.data.audienceTicket = ticket;
      socket.data.audience = audience.userIds;
      socket.data.hidden = audience.hidden;
    }
  }

  /**
   * Presence each of the pair was shown of the other is taken back: they see each other as a
   * client sees anyone it is not told of, offline and never seen.
   */
  private hidePair({ blockerId, blockedId }: BlockChange): void {
    for (const [userId, other] of [
      [blockerId, blockedId],
      [blockedId, blockerId],
    ] as const) {
      const unknown: PresenceView = { userId: other, status: 'offline', lastSeen: null, devices: 0 };
      this.io.to(userRoom(userId)).emit('presence', unknown);
    }
  }

  /** After an unblock, each of the pair sees the other's presence again if they share a conversation. */
  private async showPair({ blockerId, blockedId }: BlockChange): Promise<void> {
    const audience = await this.options.chat.audience(blockerId);
    if (!audience.userIds.includes(blockedId)) return;
    const [blocker, blocked] = await Promise.all([
      this.presence.get(blockerId),
      this.presence.get(blockedId),
    ]);
    this.announceTo([blockedId], blocker);
    this.announceTo([blockerId], blocked);
  }

  /**
   * A socket whose handshake read its audience before a block change of its user (it was not yet
   * in the user's room, where the change looks for sockets) reads it again before it connects;
   * chat away then refuses it, as at the first read.
   */
  private confirmAudience(socket: ChatSocket, next: (err?: Error) => void, reads = 0): void {
    const { userId } = socket.data.principal;
    const mark = socket.data.audienceMark;
    if (mark === undefined || !this.blockChanges.changedSince(userId, mark)) return next();
    const refuse = (err: unknown) => {
      this.options.logger.warn(
        { err, userId },
        'socket refused: audience not read again after a block change',
      );
      if (socket.data.dropDevice) {
        socket.conn.off('close', socket.data.dropDevice);
        socket.data.dropDevice();
      }
      next(new HandshakeError('REALTIME_UNAVAILABLE', 'Real-time is unavailable; try again shortly.'));
    };
    // Blocks changing faster than chat answers: the client connects again a moment later.
    if (reads >= MAX_AUDIENCE_READS) return refuse(new Error('blocks kept changing during the handshake'));
    socket.data.audienceMark = this.blockChanges.mark();
    this.options.chat.audience(userId).then((audience) => {
      socket.data.audience = audience.userIds;
      socket.data.hidden = audience.hidden;
      this.confirmAudience(socket, next, reads + 1);
    }, refuse);
  }

  private localSocketsOf(userId: string): ChatSocket[] {
    const nsp = this.io.of('/');
    const sockets: ChatSocket[] = [];
    for (const id of nsp.adapter.rooms.get(userRoom(userId)) ?? []) {
      const socket = nsp.sockets.get(id) as unknown as ChatSocket | undefined;
      if (socket) sockets.push(socket);
    }
    return sockets;
  }

  /**
   * Presence goes only to users who share a conversation with the user and are not blocked, as
   * the chat service says now (memberships and blocks change while a socket lives); the socket's
   * copy, used for typing too, is refreshed on the way.
   */
  private async announcePresence(socket: ChatSocket, view: PresenceView): Promise<void> {
    try {
      await this.refreshAudience(view.userId, [socket]);
    } catch (err) {
      this.options.logger.warn({ err, userId: view.userId }, 'audience not refreshed; using the last one');
    }
    this.announceTo(socket.data.audience, view);
  }

  private announceTo(audience: string[], view: PresenceView): void {
    if (audience.length === 0) return;
    this.io.to(audience.map(userRoom)).emit('presence', view);
  }

  private handle<S extends z.ZodType>(
    socket: ChatSocket,
    log: Logger,
    event: string,
    schema: S,
    handler: (data: z.infer<S>) => Promise<object>,
  ): void {
    socket.on(event, (...args: unknown[]) => {
      // The payload, then the acknowledgement last: an event with more arguments is refused.
      const [payload] = args;
      const ack = args.length > 1 ? args.at(-1) : undefined;
      const reply = typeof ack === 'function' ? (ack as (body: object) => void) : () => undefined;
      if (args.length > 2) {
        reply({
          ok: false,
          error: {
            code: 'VALIDATION_FAILED',
            message: 'An event takes one payload and an acknowledgement.',
            errors: [{ path: '', message: `expected at most 2 arguments, got ${args.length}` }],
          },
        });
        return;
      }
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        reply({
          ok: false,
          error: {
            code: 'VALIDATION_FAILED',
            message: 'The event does not match the expected schema.',
            errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
          },
        });
        return;
      }
      handler(parsed.data).then(
        (result) => reply({ ok: true, ...result }),
        (err: unknown) => {
          const failure = ackError(err);
          if (
            failure.error.code === 'DEPENDENCY_UNAVAILABLE' ||
            failure.error.code === 'REALTIME_SEND_QUEUE_FULL'
          ) {
            // One line per event while a service is away or overloaded, without the stack: it
            // repeats for every socket that sends.
            log.warn(
              { code: failure.error.code, event, reason: (err as Error).message },
              'socket event failed',
            );
          } else if (failure.error.code === 'INTERNAL') {
            log.error({ err, event }, 'socket event failed');
          } else if (failure.error.code !== 'RATE_LIMITED') {
            // A send over the user's budget is not logged: a flood of them would flood the log.
            log.info({ code: failure.error.code, event }, 'socket event refused');
          }
          reply(failure);
        },
      );
    });
  }
}

/** Who blocked or unblocked whom; either way the pair's audiences are read again. */
export type BlockChange = Pick<UserBlockChangedEvent, 'blockerId' | 'blockedId' | 'blocked'>;

/** How often a handshake reads its audience again while its user's blocks keep changing. */
const MAX_AUDIENCE_READS = 3;

/** How long closing waits for Redis to answer QUIT on the adapter's connections. */
const QUIT_WAIT_MS = 1_000;

/** Longest delay a Node timer takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const KNOWN_EVENTS = new Set(['message:send', 'sync', 'typing', 'receipt', 'presence:set', 'presence:query']);

/**
 * The adapter publishes broadcasts, and unsubscribes when it closes, without waiting for Redis to
 * answer. With Redis away those commands fail and their rejections went unhandled: a crash on
 * Node's defaults, seen when a replica shut down during an outage. A broadcast lost that way is
 * made good by the catch-up once the adapter is back, and an unsubscribe is followed by closing
 * the connection, so the failures are marked handled; a caller that waits still sees them.
 */
function markFailuresHandled(connection: Redis, names: readonly string[]): void {
  const commands = connection as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of names) {
    const original = commands[name];
    if (typeof original !== 'function') continue;
    commands[name] = (...args: unknown[]) => {
      const answer = original.apply(connection, args);
      answer.catch(() => undefined);
      return answer;
    };
  }
}
