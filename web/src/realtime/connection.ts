import { type Socket, io } from 'socket.io-client';
import { ApiError, api, session } from '../api/http';
import type { Conversation, Message, Presence } from '../api/types';
import { MissingConversations } from '../chat/missing-conversations';
import { chatStore } from '../chat/store';
import { ensureUsers } from '../chat/users';
import { sendRetryDelay } from './send-retry';

interface Ack {
  ok: boolean;
  /** `retryAfterMs` comes with refusals that pass, such as RATE_LIMITED. */
  error?: { code: string; message: string; retryAfterMs?: number };
  [key: string]: unknown;
}

const ACK_TIMEOUT_MS = 15_000;
/** How long a tab refused for too many open ones waits before it tries again, on average. */
const CROWDED_RETRY_MS = 60_000;

/**
 * The one Socket.IO connection of a logged-in tab. Reconnects on its own; each (re)connect sends
 * a fresh access token and what the tab holds per conversation (`auth.sync`), so the gateway
 * sends whatever was missed. Messages sent while offline are queued and sent once when the
 * connection is back; the chat service keeps one message per client message id, so a send that
 * did arrive before the connection dropped is not stored twice.
 */
class Connection {
  private socket: Socket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private myId = '';
  private readonly connectListeners = new Set<() => void>();
  /** The conversation on screen (receipts are sent as read for it). */
  viewing: string | null = null;
  /** Conversations events arrive for that the store lacks (active since the list was read). */
  private readonly missing = new MissingConversations(chatStore, async (id) => {
    try {
      return await api<Conversation>(`/conversations/${id}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  });

  start(userId: string): void {
    if (this.socket) return;
    this.myId = userId;
    const socket = io({
      transports: ['websocket', 'polling'],
      auth: (cb) => cb({ token: session.get()?.accessToken ?? '', sync: this.cursors() }),
    });
    this.socket = socket;
    socket.on('connect', () => {
      chatStore.update({ connection: 'online' });
      void this.flushQueue();
      void this.queryPresence();
      for (const listener of this.connectListeners) listener();
    });
    socket.on('disconnect', (reason) => {
      chatStore.update({ connection: 'offline' });
      // A server-side close (a stopping gateway, an expired token) is not retried by the client.
      if (reason === 'io server disconnect') this.reconnectLater(false);
    });
    socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      chatStore.update({ connection: 'offline' });
      // Transport failures are retried by Socket.IO itself; a refusal by the gateway is not.
      if (socket.active) return;
      const code = err.data?.code;
      if (code === 'REALTIME_TOO_MANY_SOCKETS') {
        // Trying again at once would be refused again, by every tab at once: say so, and wait
        // until one is closed (or the tab is looked at again).
        chatStore.update({ connection: 'crowded' });
        this.reconnectLater(false, CROWDED_RETRY_MS);
        return;
      }
      this.reconnectLater(code === 'AUTH_TOKEN_EXPIRED' || code === 'AUTH_TOKEN_INVALID');
    });
    socket.on('auth:expired', () => void session.refresh().catch(() => undefined));
    socket.on('message', (m: Message) => this.onMessage(m));
    // What the gateway sent after the cursors of the handshake: a number below what the tab held
    // means the server has nothing above it.
    socket.on('synced', (s: { conversations?: Record<string, number> }) => {
      for (const [id, seq] of Object.entries(s.conversations ?? {})) {
        const lost = (chatStore.state.conversations.get(id)?.lastSeq ?? 0) > seq;
        chatStore.dropAfter(id, seq);
        // Its last message may be one of those lost: the server's copy shows the one it has.
        if (lost) void this.refreshConversation(id);
      }
    });
    for (const event of ['message:edited', 'message:deleted', 'reaction']) {
      socket.on(event, (data: { message?: Message } & Partial<Message>) => {
        const message = (data.message ?? data) as Message;
        if (!message?.id) return;
        this.noticeConversation(message.conversationId);
        chatStore.changeMessage(message);
        // A deleted message leaves the unread count, which the server tells.
        const unread = chatStore.state.conversations.get(message.conversationId)?.unreadCount ?? 0;
        if (event === 'message:deleted' && unread > 0) void this.refreshConversation(message.conversationId);
      });
    }
    socket.on(
      'typing',
      (t: { conversationId: string; userId: string; active: boolean; expiresAt: string }) => {
        if (t.userId === this.myId) return;
        this.noticeConversation(t.conversationId);
        chatStore.setTyping(t.conversationId, t.userId, t.active ? Date.parse(t.expiresAt) : 0);
      },
    );
    socket.on('receipt', (r: { conversationId: string; userId: string; kind: string; seq: number }) => {
      this.noticeConversation(r.conversationId);
      if (r.kind === 'read' || r.kind === 'delivered')
        chatStore.setCursor(r.kind, r.conversationId, r.userId, r.seq, this.myId);
    });
    socket.on('presence', (p: Presence) => chatStore.putPresence([p]));
    socket.on(
      'member:added',
      (e: { conversationId: string }) => void this.refreshConversation(e.conversationId),
    );
    socket.on('member:removed', (e: { conversationId: string; userId: string }) => {
      if (e.userId === this.myId) chatStore.removeConversation(e.conversationId);
      else void this.refreshConversation(e.conversationId);
    });
    socket.on(
      'conversation:updated',
      (e: { conversationId: string }) => void this.refreshConversation(e.conversationId),
    );
    window.addEventListener('online', () => socket.connected || socket.connect());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible' || chatStore.state.connection !== 'crowded') return;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      if (!socket.connected && !socket.active) socket.connect();
    });
  }

  /**
   * Called on every connect and reconnect the gateway accepted, once the socket is in its rooms:
   * what changed before then reached no live event. Gives the function that stops the calls.
   */
  onConnect(listener: () => void): () => void {
    this.connectListeners.add(listener);
    return () => this.connectListeners.delete(listener);
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket?.disconnect();
    this.socket = null;
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Sends an event with an acknowledgement; rejects when the server refuses or does not answer. */
  async request(event: string, data: unknown): Promise<Ack> {
    const socket = this.socket;
    if (!socket?.connected) throw new Error('offline');
    const ack = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, data)) as Ack;
    if (!ack.ok) {
      const { code, retryAfterMs } = ack.error ?? {};
      throw Object.assign(new Error(ack.error?.message ?? 'refused'), { code, retryAfterMs });
    }
    return ack;
  }

  /** Sends what the user wrote, or queues it until the connection is back. */
  async send(clientMessageId: string): Promise<void> {
    const pending = chatStore.state.pending.find((p) => p.clientMessageId === clientMessageId);
    if (!pending) return;
    if (!this.connected) {
      chatStore.setPendingState(clientMessageId, 'queued');
      return;
    }
    chatStore.setPendingState(clientMessageId, 'sending');
    const { state: _state, error: _error, createdAt: _createdAt, ...body } = pending;
    try {
      const ack = await this.request('message:send', body);
      this.onMessage(ack.message as Message);
    } catch (err) {
      const { code, retryAfterMs } = err as { code?: string; retryAfterMs?: number };
      const delay = sendRetryDelay(code, retryAfterMs);
      if (delay !== undefined) {
        // A refusal that passes: the same message again (its id makes it one) once it has.
        chatStore.setPendingState(clientMessageId, 'queued');
        setTimeout(() => void this.send(clientMessageId), delay);
        return;
      }
      // Refused by the server: it will not succeed by retrying. Anything else waits for a reconnect.
      if (code) chatStore.setPendingState(clientMessageId, 'failed', (err as Error).message);
      else chatStore.setPendingState(clientMessageId, 'queued');
    }
  }

  typing(conversationId: string, active: boolean): void {
    if (this.connected) void this.request('typing', { conversationId, active }).catch(() => undefined);
  }

  receipt(conversationId: string, kind: 'delivered' | 'read', seq: number): void {
    if (seq > 0 && this.connected)
      void this.request('receipt', { conversationId, kind, seq }).catch(() => undefined);
  }

  async queryPresence(): Promise<void> {
    const ids = new Set<string>();
    for (const c of chatStore.state.conversations.values()) {
      for (const m of c.members ?? []) if (m.userId !== this.myId) ids.add(m.userId);
    }
    if (ids.size === 0 || !this.connected) return;
    try {
      const ack = await this.request('presence:query', { userIds: [...ids].slice(0, 200) });
      chatStore.putPresence(ack.presence as Presence[]);
    } catch {
      // Presence is a nicety; the dots stay grey.
    }
  }

  private onMessage(m: Message): void {
    const viewing = this.viewing === m.conversationId && document.visibilityState === 'visible';
    chatStore.receiveMessage(m, this.myId, viewing);
    this.noticeConversation(m.conversationId, m);
    // The sender has read everything up to its own message (the server counts it so).
    chatStore.setCursor('read', m.conversationId, m.senderId, m.seq, this.myId);
    void ensureUsers([m.senderId]);
    if (m.senderId === this.myId) return;
    if (viewing) this.receipt(m.conversationId, 'read', m.seq);
    else this.receipt(m.conversationId, 'delivered', m.seq);
  }

  /**
   * An event for a conversation the store lacks brings it in (one fetch for all such events),
   * with its members' names and presence. A failed fetch waits for the next event.
   */
  private noticeConversation(conversationId: string, message?: Message): void {
    this.missing
      .notice(conversationId, message, this.myId)
      .then(async (c) => {
        if (!c) return;
        await ensureUsers((c.members ?? []).map((m) => m.userId));
        await this.queryPresence();
      })
      .catch(() => undefined);
  }

  private async flushQueue(): Promise<void> {
    for (const p of chatStore.state.pending) {
      if (p.state === 'queued' || p.state === 'sending') await this.send(p.clientMessageId);
    }
  }

  private cursors(): Record<string, number> {
    const held: Record<string, number> = {};
    for (const [id, list] of chatStore.state.messages) {
      const last = list.at(-1);
      if (last && !chatStore.state.hasNewer.get(id)) held[id] = last.seq;
    }
    return held;
  }

  /**
   * Connects again after a pause, first refreshing the access token when the gateway refused it;
   * keeps trying (with a growing pause) while the network or the gateway is away.
   */
  private reconnectLater(refresh: boolean, delayMs = 1_000): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = null;
        const socket = this.socket;
        if (!socket || socket.connected || socket.active) return;
        const ready = refresh ? session.refresh() : Promise.resolve(session.get());
        ready.then(
          (current) => {
            if (current && this.socket === socket) socket.connect();
          },
          () => this.reconnectLater(refresh, Math.min(delayMs * 2, 30_000)),
        );
      },
      delayMs * (0.5 + Math.random()),
    );
  }

  private async refreshConversation(id: string): Promise<void> {
    try {
      const c = await api<Conversation>(`/conversations/${id}`);
      chatStore.putConversation(c);
      await ensureUsers((c.members ?? []).map((m) => m.userId));
      await this.queryPresence();
    } catch (err) {
      // Gone only when the server says so (the user left or was removed); a server or network
      // away for a moment keeps the conversation as it was.
      if (err instanceof ApiError && err.status === 404) chatStore.removeConversation(id);
    }
  }
}

export const connection = new Connection();
