import type { ChangeBoard } from '@parley/service-kit';
import type { Directory } from './directory';
import { ExpiringCache, type ExpiringCacheOptions, type Vouch } from './expiring-cache';

/** What a new message needs to know of its conversation to pick recipients. */
export interface ConversationFacts {
  type: 'direct' | 'group';
  name: string | null;
  memberIds: string[];
  /**
   * The number each member joined at (0 when there from the start, or from a chat older than the
   * field): a message numbered at or below it came before them, and notifies them of nothing.
   */
  joinSeqs: ReadonlyMap<string, number>;
}

/**
 * Defaults: entries kept up to ten minutes (while the directory board vouches for them), a few
 * thousand busy conversations and senders per instance.
 */
export const DIRECTORY_CACHE_DEFAULTS: ExpiringCacheOptions = { maxEntries: 5_000, maxAgeMs: 600_000 };

/** The name of notification's change board for conversations and names it keeps. */
export const DIRECTORY_BOARD = 'directory';

/** The directory board, as the cache uses it. */
export type DirectoryBoard = Pick<ChangeBoard, 'stamp' | 'holds' | 'changed'>;

/** The board's keys of one kind of entry: conversations and users share the board. */
function keyed(board: DirectoryBoard, kind: string): Vouch {
  return {
    stamp: (key) => board.stamp(`${kind}:${key}`),
    holds: (key, stamp) => board.holds(`${kind}:${key}`, stamp),
  };
}

/**
 * Chat's conversations and auth's display names as a new message needs them, kept per instance
 * so a steady stream of messages costs no service invocation. Chat's member and conversation
 * events and auth's profile events reach one instance each: it drops its entry and raises the
 * directory change board, which every other instance reads within about a second. A stale member
 * list is never what lets a message through: before anything is sent, the planner asks chat for
 * the recipient's own view, which a removed member no longer has.
 *
 * A cached list can miss a member added just before a message that neither comes from them nor
 * mentions them: the message and `chat.member.added` come on two topics with no order between
 * them. The member event closes that: it carries when the member joined, and the instance that
 * handles it reads the conversation's newest messages as the new member and notifies them of
 * those sent since (`onMemberAdded` in `chat-events.ts`). A list loaded after the join has the
 * member's join number, so a message event that comes late for a message sent before they joined
 * leaves them out.
 *
 * TODO(notification-membership): still missed, a message sent after that read and handled within
 * about a second of the member event by another instance, which has not yet read the board and
 * keeps its list from before the join.
 */
export class DirectoryCache {
  private readonly conversations: ExpiringCache<ConversationFacts | null>;
  private readonly names: ExpiringCache<string>;

  constructor(
    private readonly directory: Directory,
    private readonly board: DirectoryBoard,
    options: ExpiringCacheOptions = DIRECTORY_CACHE_DEFAULTS,
  ) {
    this.conversations = new ExpiringCache({ ...options, vouch: keyed(board, 'conversation') });
    this.names = new ExpiringCache({ ...options, vouch: keyed(board, 'user') });
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
      return {
        type: view.type,
        name: view.name,
        memberIds: view.members.map((m) => m.userId),
        joinSeqs: new Map(view.members.map((m) => [m.userId, m.joinSeq ?? 0])),
      };
    };
    const facts = await this.conversations.get(conversationId, load);
    if (facts && present.every((id) => facts.memberIds.includes(id))) return facts;
    this.conversations.drop(conversationId);
    return this.conversations.get(conversationId, load);
  }

  displayName(userId: string): Promise<string> {
    return this.names.get(userId, () => this.directory.displayName(userId));
  }

  /** Chat says who belongs to the conversation, or what it is called, changed: every instance is told. */
  async changedConversation(conversationId: string): Promise<void> {
    this.conversations.drop(conversationId);
    await this.board.changed(`conversation:${conversationId}`);
  }

  /** Auth says the user's public profile changed (or the account is gone): every instance is told. */
  async changedUser(userId: string): Promise<void> {
    this.names.drop(userId);
    await this.board.changed(`user:${userId}`);
  }
}
