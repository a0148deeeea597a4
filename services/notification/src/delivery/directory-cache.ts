import type { Directory } from './directory';
import { ExpiringCache, type ExpiringCacheOptions } from './expiring-cache';

/** What a new message needs to know of its conversation to pick recipients. */
export interface ConversationFacts {
  type: 'direct' | 'group';
  name: string | null;
  memberIds: string[];
}

/** Defaults: a minute of trust, a few thousand busy conversations and senders per instance. */
export const DIRECTORY_CACHE_DEFAULTS: ExpiringCacheOptions = { maxEntries: 5_000, maxAgeMs: 60_000 };

/**
 * Chat's conversations and auth's display names as a new message needs them, kept per instance
 * so a steady stream of messages costs no service invocation. Chat's member and conversation
 * events and auth's profile events drop entries; the age bound covers an event this instance
 * missed. A stale member list is never what lets a message through: before anything is sent,
 * the planner asks chat for the recipient's own view, which a removed member no longer has.
 *
 * TODO(notification-membership): a member added just before a message that neither comes from
 * them nor mentions them is missed by an instance that handles the message before chat's
 * `chat.member.added` (two topics, no order between them) while its list is cached; at most the
 * age bound. Closing it needs the message event to carry the conversation's membership version.
 */
export class DirectoryCache {
  private readonly conversations: ExpiringCache<ConversationFacts | null>;
  private readonly names: ExpiringCache<string>;

  constructor(
    private readonly directory: Directory,
    options: ExpiringCacheOptions = DIRECTORY_CACHE_DEFAULTS,
  ) {
    this.conversations = new ExpiringCache(options);
    this.names = new ExpiringCache(options);
  }

  /**
   * The conversation of a message, or null when chat no longer shows it to the sender. `present`
   * lists users the message proves are members (its sender, whom it mentions): a cached list
   * missing one of them predates a change whose event has not arrived yet, and is reloaded.
   */
  async conversation(senderId: string, conversationId: string, present: string[]) {
    const load = async (): Promise<ConversationFacts | null> => {
      const view = await this.directory.conversationAs(senderId, conversationId);
      if (!view?.members) return null;
      return { type: view.type, name: view.name, memberIds: view.members.map((m) => m.userId) };
    };
    const facts = await this.conversations.get(conversationId, load);
    if (facts && present.every((id) => facts.memberIds.includes(id))) return facts;
    this.conversations.drop(conversationId);
    return this.conversations.get(conversationId, load);
  }

  displayName(userId: string): Promise<string> {
    return this.names.get(userId, () => this.directory.displayName(userId));
  }

  /** Chat says who belongs to the conversation, or what it is called, changed. */
  dropConversation(conversationId: string): void {
    this.conversations.drop(conversationId);
  }

  /** Auth says the user's public profile changed (or the account is gone). */
  dropUser(userId: string): void {
    this.names.drop(userId);
  }
}
