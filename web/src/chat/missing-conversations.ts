import type { Conversation, Message } from '../api/types';
import type { ChatStore } from './store';

/**
 * Conversations the tab hears of but does not hold. The list is paged on last activity, so a
 * conversation that becomes active while the pages are read moves ahead of the cursor and is in
 * none of them; the store ignores events for a conversation it does not hold. Such a conversation
 * is fetched, once however many events arrive for it meanwhile, and put in the store; the
 * messages that arrived during the fetch are then applied over it, in case the answer predates
 * them.
 */
export class MissingConversations {
  /** Fetches under way, each with the live messages that arrived for it since it started. */
  private readonly fetching = new Map<string, Message[]>();

  /**
   * `fetchConversation` answers null for a conversation the user cannot see (not a member any
   * more), and rejects when it could not ask; either way a later event may try again.
   */
  constructor(
    private readonly store: ChatStore,
    private readonly fetchConversation: (id: string) => Promise<Conversation | null>,
  ) {}

  /**
   * Fetches the conversation unless the store holds it or a fetch is under way; a live message
   * for it is kept until the conversation is in. Resolves with the conversation this call put in
   * the store, or null.
   */
  async notice(conversationId: string, message?: Message, myId = ''): Promise<Conversation | null> {
    if (this.store.state.conversations.has(conversationId)) return null;
    const arrived = this.fetching.get(conversationId);
    if (arrived) {
      if (message) arrived.push(message);
      return null;
    }
    const held = message ? [message] : [];
    this.fetching.set(conversationId, held);
    try {
      const conversation = await this.fetchConversation(conversationId);
      if (!conversation) return null;
      // Put in meanwhile (a page of the list): that copy stays, the messages still go over it.
      const put = !this.store.state.conversations.has(conversationId);
      if (put) this.store.putConversation(conversation);
      for (const m of held.sort((a, b) => a.seq - b.seq)) this.store.receiveMessage(m, myId, false);
      return put ? conversation : null;
    } finally {
      this.fetching.delete(conversationId);
    }
  }
}
