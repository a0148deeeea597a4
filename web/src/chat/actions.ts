import { api } from '../api/http';
import type { Conversation, Message } from '../api/types';
import { connection } from '../realtime/connection';
import { CONVERSATION_PAGE, type ConversationPage } from './conversation-pages';
import { ListReads, readListInto } from './list-reads';
import { type PendingMessage, chatStore } from './store';
import { ensureUsers } from './users';
import { unreadAfterReading } from './unread';

const PAGE = 50;

const listReads = new ListReads(async (wanted) => {
  const listed = await readListInto(
    chatStore,
    (before) =>
      api<ConversationPage>('/conversations', {
        query: { limit: CONVERSATION_PAGE, before: before ?? undefined },
      }),
    wanted,
  );
  if (listed) await completeListed(listed);
});

/**
 * The whole conversation list, page after page, each shown as it arrives. A read already running
 * gives way to this one, and the promise ends once a read begun by this call (or later) has ended.
 */
export function loadConversations(): Promise<void> {
  return listReads.read();
}

/** Members of the direct conversations listed, everyone's names, and presence. */
async function completeListed(listed: Conversation[]): Promise<void> {
  // The list carries no members; a direct conversation needs them for its title and presence.
  const missing = listed.filter(
    (c) => c.type === 'direct' && !chatStore.state.conversations.get(c.id)?.members,
  );
  for (let i = 0; i < missing.length; i += 6) {
    const details = await Promise.all(
      missing.slice(i, i + 6).map((c) => api<Conversation>(`/conversations/${c.id}`).catch(() => null)),
    );
    chatStore.setConversations(details.filter((c): c is Conversation => c !== null));
  }
  const held = [...chatStore.state.conversations.values()];
  await ensureUsers(held.flatMap((c) => (c.members ?? []).map((m) => m.userId)));
  void connection.queryPresence();
}

export async function loadConversation(id: string): Promise<Conversation> {
  const c = await api<Conversation>(`/conversations/${id}`);
  chatStore.putConversation(c);
  await ensureUsers((c.members ?? []).map((m) => m.userId));
  void connection.queryPresence();
  return c;
}

/** The latest page, unless loaded already. */
export async function loadLatest(conversationId: string): Promise<void> {
  if (chatStore.state.messages.has(conversationId) && !chatStore.state.hasNewer.get(conversationId)) return;
  const page = await api<{ items: Message[]; lastSeq: number }>(`/conversations/${conversationId}/messages`, {
    query: { limit: PAGE },
  });
  chatStore.replaceMessages(conversationId, page.items, (page.items[0]?.seq ?? 1) > 1, false);
  await ensureUsers(page.items.map((m) => m.senderId));
}

export async function loadOlder(conversationId: string): Promise<void> {
  const first = chatStore.state.messages.get(conversationId)?.[0];
  if (!first) return;
  const page = await api<{ items: Message[] }>(`/conversations/${conversationId}/messages`, {
    query: { limit: PAGE, before: first.seq },
  });
  chatStore.mergeMessages(conversationId, page.items, { older: (page.items[0]?.seq ?? 1) > 1 });
  await ensureUsers(page.items.map((m) => m.senderId));
}

export async function loadNewer(conversationId: string): Promise<void> {
  const last = chatStore.state.messages.get(conversationId)?.at(-1);
  if (!last) return;
  const page = await api<{ items: Message[]; lastSeq: number }>(`/conversations/${conversationId}/messages`, {
    query: { limit: PAGE, after: last.seq },
  });
  const newest = page.items.at(-1)?.seq ?? last.seq;
  chatStore.mergeMessages(conversationId, page.items, { newer: newest < page.lastSeq });
  await ensureUsers(page.items.map((m) => m.senderId));
}

/** Loads the window around one message (a search result, a reply's original). */
export async function loadAround(conversationId: string, messageId: string): Promise<void> {
  const loaded = chatStore.state.messages.get(conversationId);
  if (loaded?.some((m) => m.id === messageId)) return;
  const page = await api<{ items: Message[]; lastSeq: number }>(`/conversations/${conversationId}/messages`, {
    query: { limit: PAGE, around: messageId },
  });
  const first = page.items[0]?.seq ?? 1;
  const last = page.items.at(-1)?.seq ?? 0;
  chatStore.replaceMessages(conversationId, page.items, first > 1, last < page.lastSeq);
  await ensureUsers(page.items.map((m) => m.senderId));
}

export async function loadThread(conversationId: string, rootId: string): Promise<Message[]> {
  const page = await api<{ items: Message[] }>(`/conversations/${conversationId}/messages`, {
    query: { limit: 200, threadRootId: rootId },
  });
  await ensureUsers(page.items.map((m) => m.senderId));
  return page.items;
}

function clientMessageId(): string {
  return crypto.randomUUID();
}

export function sendMessage(
  input: Omit<PendingMessage, 'clientMessageId' | 'createdAt' | 'state' | 'error'>,
): void {
  const pending: PendingMessage = {
    ...input,
    clientMessageId: clientMessageId(),
    createdAt: new Date().toISOString(),
    state: 'sending',
  };
  chatStore.addPending(pending);
  void connection.send(pending.clientMessageId);
}

export function retryPending(clientMessageId: string): void {
  void connection.send(clientMessageId);
}

/** A message's new text and, each when given, whom it mentions and whether it mentions everyone. */
export interface MessageEdit {
  text: string;
  mentions?: string[];
  mentionsEveryone?: boolean;
}

/**
 * Edits a message. `mentions`, when given, replaces whom it mentions (the members the new text
 * names): a member named anew is notified as a mention. `mentionsEveryone`, when given, sets or
 * clears the mention of everyone. Left out, each stays as it was.
 */
export async function editMessage(messageId: string, edit: MessageEdit): Promise<void> {
  chatStore.changeMessage(await api<Message>(`/messages/${messageId}`, { method: 'PATCH', body: edit }));
}

export async function deleteMessage(messageId: string): Promise<void> {
  chatStore.changeMessage(await api<Message>(`/messages/${messageId}`, { method: 'DELETE' }));
}

export async function toggleReaction(message: Message, emoji: string, myId: string): Promise<void> {
  const mine = message.reactions.find((r) => r.emoji === emoji)?.userIds.includes(myId);
  const updated = await api<Message>(`/messages/${message.id}/reactions/${encodeURIComponent(emoji)}`, {
    method: mine ? 'DELETE' : 'PUT',
  });
  chatStore.changeMessage(updated);
}

export async function setMuted(conversationId: string, muted: boolean): Promise<void> {
  chatStore.putConversation(
    await api<Conversation>(`/conversations/${conversationId}/settings`, { method: 'PUT', body: { muted } }),
  );
}

/** Marks everything up to `seq` read, locally at once and on the server through the socket. */
export function markRead(conversationId: string, seq: number): void {
  const c = chatStore.state.conversations.get(conversationId);
  if (!c || c.me.readSeq >= seq) return;
  chatStore.patchConversation(conversationId, (conv) => ({
    ...conv,
    unreadCount: unreadAfterReading(conv, seq),
    me: { ...conv.me, readSeq: seq },
  }));
  if (connection.connected) connection.receipt(conversationId, 'read', seq);
  else
    void api(`/conversations/${conversationId}/receipts`, { body: { kind: 'read', seq } }).catch(
      () => undefined,
    );
}

/** Who has the caller's message, delivered and read (seeds "seen by" when a conversation opens). */
export async function loadReceipts(message: Message): Promise<void> {
  const r = await api<{ readBy: { userId: string }[]; deliveredTo: string[] }>(
    `/messages/${message.id}/receipts`,
  );
  for (const userId of r.deliveredTo)
    chatStore.setCursor('delivered', message.conversationId, userId, message.seq);
  for (const { userId } of r.readBy) chatStore.setCursor('read', message.conversationId, userId, message.seq);
}
