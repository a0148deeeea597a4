import { useSyncExternalStore } from 'react';
import type { Conversation, Message, Presence, PublicUser } from '../api/types';
import { mergeConversation } from './conversation-merge';
import { unreadAfterReading } from './unread';

/** A message the user sent that the server has not acknowledged yet. */
export interface PendingMessage {
  conversationId: string;
  clientMessageId: string;
  text: string;
  replyToId?: string;
  threadRootId?: string;
  mentions?: string[];
  mentionsEveryone?: boolean;
  attachments?: { mediaId: string }[];
  createdAt: string;
  /** `queued` waits for a connection; `failed` was refused by the server (its reason in `error`). */
  state: 'sending' | 'queued' | 'failed';
  error?: string;
}

export interface ChatState {
  conversations: Map<string, Conversation>;
  /** Loaded messages per conversation, ordered by seq. */
  messages: Map<string, Message[]>;
  /** Whether history before the first loaded message exists. */
  hasOlder: Map<string, boolean>;
  /** Whether messages after the last loaded one exist (after jumping to an old message). */
  hasNewer: Map<string, boolean>;
  pending: PendingMessage[];
  users: Map<string, PublicUser>;
  presence: Map<string, Presence>;
  /** conversationId -> userId -> until (ms) */
  typing: Map<string, Map<string, number>>;
  /** conversationId -> userId -> read seq */
  readCursors: Map<string, Map<string, number>>;
  /** conversationId -> userId -> delivered seq */
  deliveredCursors: Map<string, Map<string, number>>;
  /** `crowded`: refused because the user has too many tabs and devices connected already. */
  connection: 'connecting' | 'online' | 'offline' | 'crowded';
  version: number;
}

type Listener = () => void;
const PENDING_KEY = 'parley.pending';

function loadPending(): PendingMessage[] {
  try {
    const raw = localStorage.getItem(PENDING_KEY);
    const list = raw ? (JSON.parse(raw) as PendingMessage[]) : [];
    return list.map((p) => (p.state === 'sending' ? { ...p, state: 'queued' } : p));
  } catch {
    return [];
  }
}

/**
 * Everything the chat screens show, kept in one place and updated from REST answers and socket
 * events. Immutable updates: each change replaces the touched map, so React sees it.
 */
export class ChatStore {
  state: ChatState = {
    conversations: new Map(),
    messages: new Map(),
    hasOlder: new Map(),
    hasNewer: new Map(),
    pending: loadPending(),
    users: new Map(),
    presence: new Map(),
    typing: new Map(),
    readCursors: new Map(),
    deliveredCursors: new Map(),
    connection: 'connecting',
    version: 0,
  };
  private readonly listeners = new Set<Listener>();

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ChatState => this.state;

  update(change: Partial<ChatState>): void {
    this.state = { ...this.state, ...change, version: this.state.version + 1 };
    if (change.pending) localStorage.setItem(PENDING_KEY, JSON.stringify(change.pending));
    for (const listener of this.listeners) listener();
  }

  reset(): void {
    localStorage.removeItem(PENDING_KEY);
    this.update({
      conversations: new Map(),
      messages: new Map(),
      hasOlder: new Map(),
      hasNewer: new Map(),
      pending: [],
      users: new Map(),
      presence: new Map(),
      typing: new Map(),
      readCursors: new Map(),
      deliveredCursors: new Map(),
    });
  }

  /** Copies read from the server, each merged with the one held so that no newer part is lost. */
  setConversations(list: Conversation[]): void {
    const conversations = new Map(this.state.conversations);
    for (const c of list) conversations.set(c.id, mergeConversation(conversations.get(c.id), c));
    this.update({ conversations });
  }

  putConversation(c: Conversation): void {
    this.setConversations([c]);
  }

  removeConversation(id: string): void {
    const conversations = new Map(this.state.conversations);
    conversations.delete(id);
    this.update({ conversations });
  }

  patchConversation(id: string, patch: (c: Conversation) => Conversation): void {
    const current = this.state.conversations.get(id);
    if (!current) return;
    const conversations = new Map(this.state.conversations);
    conversations.set(id, patch(current));
    this.update({ conversations });
  }

  /** Merges a page or a single message into a conversation's loaded messages. */
  mergeMessages(
    conversationId: string,
    incoming: Message[],
    flags: { older?: boolean; newer?: boolean } = {},
  ) {
    const bySeq = new Map((this.state.messages.get(conversationId) ?? []).map((m) => [m.seq, m]));
    for (const m of incoming) {
      const held = bySeq.get(m.seq);
      if (!held || held.version <= m.version) bySeq.set(m.seq, m);
    }
    const messages = new Map(this.state.messages);
    messages.set(
      conversationId,
      [...bySeq.values()].sort((a, b) => a.seq - b.seq),
    );
    const change: Partial<ChatState> = { messages };
    if (flags.older !== undefined)
      change.hasOlder = new Map(this.state.hasOlder).set(conversationId, flags.older);
    if (flags.newer !== undefined)
      change.hasNewer = new Map(this.state.hasNewer).set(conversationId, flags.newer);
    // The server acknowledged a message this client queued.
    const ids = new Set(incoming.map((m) => m.clientMessageId));
    if (this.state.pending.some((p) => ids.has(p.clientMessageId))) {
      change.pending = this.state.pending.filter((p) => !ids.has(p.clientMessageId));
    }
    this.update(change);
  }

  /** Replaces what is loaded (after jumping to a message far from the loaded window). */
  replaceMessages(conversationId: string, list: Message[], older: boolean, newer: boolean): void {
    const messages = new Map(this.state.messages).set(conversationId, []);
    this.state = { ...this.state, messages };
    this.mergeMessages(conversationId, list, { older, newer });
  }

  /** A live message: appended, and the conversation's preview, order and unread count follow. */
  receiveMessage(message: Message, myId: string, viewing: boolean): void {
    const loaded = this.state.messages.has(message.conversationId);
    const newer = this.state.hasNewer.get(message.conversationId);
    if (loaded && !newer) this.mergeMessages(message.conversationId, [message]);
    this.patchConversation(message.conversationId, (c) => {
      if (message.seq < c.lastSeq) return c;
      const mine = message.senderId === myId;
      return {
        ...c,
        lastSeq: message.seq,
        lastActivity: message.createdAt,
        lastMessage: {
          id: message.id,
          seq: message.seq,
          senderId: message.senderId,
          preview: message.deletedAt ? '' : message.text.slice(0, 120),
        },
        unreadCount: mine || viewing ? 0 : (c.unreadCount ?? 0) + (message.seq > c.lastSeq ? 1 : 0),
      };
    });
  }

  /**
   * The server has nothing after `seq` (it lost its last writes in a crash, so the numbers above
   * will be given to new messages): the copies loaded above it go, or new messages would be taken
   * for them, and the conversation's last number and cursors come down to it.
   */
  dropAfter(conversationId: string, seq: number): void {
    const change: Partial<ChatState> = {};
    const list = this.state.messages.get(conversationId);
    if (list?.some((m) => m.seq > seq)) {
      change.messages = new Map(this.state.messages).set(
        conversationId,
        list.filter((m) => m.seq <= seq),
      );
    }
    // The conversation's numbers come down too, or merging would keep them over the server's.
    const held = this.state.conversations.get(conversationId);
    if (held && held.lastSeq > seq) {
      change.conversations = new Map(this.state.conversations).set(conversationId, lowered(held, seq));
    }
    if (Object.keys(change).length) this.update(change);
  }

  /** An edit, deletion or reaction: replaces the loaded copy if it is older. */
  changeMessage(message: Message): void {
    if (!this.state.messages.has(message.conversationId)) return;
    const list = this.state.messages.get(message.conversationId) ?? [];
    if (!list.some((m) => m.id === message.id)) return;
    this.mergeMessages(message.conversationId, [message]);
  }

  addPending(p: PendingMessage): void {
    this.update({ pending: [...this.state.pending, p] });
  }

  setPendingState(clientMessageId: string, state: PendingMessage['state'], error?: string): void {
    this.update({
      pending: this.state.pending.map((p) =>
        p.clientMessageId === clientMessageId ? { ...p, state, ...(error ? { error } : {}) } : p,
      ),
    });
  }

  dropPending(clientMessageId: string): void {
    this.update({ pending: this.state.pending.filter((p) => p.clientMessageId !== clientMessageId) });
  }

  putUsers(users: PublicUser[]): void {
    const map = new Map(this.state.users);
    for (const u of users) map.set(u.id, u);
    this.update({ users: map });
  }

  putPresence(list: Presence[]): void {
    const presence = new Map(this.state.presence);
    for (const p of list) presence.set(p.userId, p);
    this.update({ presence });
  }

  setTyping(conversationId: string, userId: string, until: number): void {
    const typing = new Map(this.state.typing);
    const inConversation = new Map(typing.get(conversationId) ?? []);
    if (until > Date.now()) inConversation.set(userId, until);
    else inConversation.delete(userId);
    typing.set(conversationId, inConversation);
    this.update({ typing });
  }

  /**
   * A member's read (which implies delivered) or delivered cursor moved forward. When the member
   * is the caller (`myId`), having read on another device, the conversation's own numbers and
   * unread count follow; they never go back.
   */
  setCursor(
    kind: 'read' | 'delivered',
    conversationId: string,
    userId: string,
    seq: number,
    myId?: string,
  ): void {
    const change: Partial<ChatState> = {};
    const held = this.state.conversations.get(conversationId);
    if (held && userId === myId) {
      const moved = cursorMoved(held, kind, seq);
      if (moved !== held) change.conversations = new Map(this.state.conversations).set(conversationId, moved);
    }
    const kinds =
      kind === 'read' ? (['readCursors', 'deliveredCursors'] as const) : (['deliveredCursors'] as const);
    for (const name of kinds) {
      const held = this.state[name].get(conversationId)?.get(userId) ?? 0;
      if (seq <= held) continue;
      const cursors = new Map(this.state[name]);
      cursors.set(conversationId, new Map(cursors.get(conversationId) ?? []).set(userId, seq));
      change[name] = cursors;
    }
    if (Object.keys(change).length) this.update(change);
  }
}

/** A conversation once the caller's own cursor reached `seq`: itself when that moves nothing. */
function cursorMoved(c: Conversation, kind: 'read' | 'delivered', seq: number): Conversation {
  const readSeq = kind === 'read' ? Math.max(c.me.readSeq, seq) : c.me.readSeq;
  const deliveredSeq = Math.max(c.me.deliveredSeq, seq);
  if (readSeq === c.me.readSeq && deliveredSeq === c.me.deliveredSeq) return c;
  const conversation = { ...c, me: { ...c.me, readSeq, deliveredSeq } };
  if (readSeq === c.me.readSeq) return conversation;
  // Counted as reading here counts it, but never above what was shown: the client's count may
  // include the caller's own messages, which the server's leaves out.
  const unread = unreadAfterReading(conversation, readSeq);
  return { ...conversation, unreadCount: Math.min(c.unreadCount ?? unread, unread) };
}

/** A conversation as it was before every message after `seq` (the server lost them). */
function lowered(c: Conversation, seq: number): Conversation {
  const me = {
    ...c.me,
    readSeq: Math.min(c.me.readSeq, seq),
    deliveredSeq: Math.min(c.me.deliveredSeq, seq),
  };
  const lastMessage = c.lastMessage && c.lastMessage.seq > seq ? null : c.lastMessage;
  const conversation = { ...c, lastSeq: seq, lastMessage, me };
  return {
    ...conversation,
    unreadCount: Math.min(c.unreadCount ?? 0, unreadAfterReading(conversation, me.readSeq)),
  };
}

export const chatStore = new ChatStore();

export function useChat<T>(select: (state: ChatState) => T): T {
  const state = useSyncExternalStore(chatStore.subscribe, chatStore.getSnapshot);
  return select(state);
}
