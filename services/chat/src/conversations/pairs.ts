import type { ChatStore } from '../store';

const REMEMBERED = 20_000;

/**
 * What a send needs to know of a conversation beyond the sender's membership: whether it exists
 * and, for a direct one, its pair. Neither changes once the conversation is made, and
 * conversations are never deleted, so each instance remembers them (the most recently used
 * ones) and a send reads only the membership.
 */
export class ConversationPairs {
  private readonly known = new Map<string, [string, string] | null>();

  constructor(private readonly store: ChatStore) {}

  /** The direct pair, null for a group, undefined for a conversation that does not exist. */
  async of(conversationId: string): Promise<[string, string] | null | undefined> {
    const hit = this.known.get(conversationId);
    if (hit !== undefined) {
      this.known.delete(conversationId);
      this.known.set(conversationId, hit);
      return hit;
    }
    const doc = await this.store.conversations.findOne(
      { _id: conversationId },
      { projection: { directPair: 1 } },
    );
    if (!doc) return undefined;
    this.known.set(conversationId, doc.directPair);
    if (this.known.size > REMEMBERED) this.known.delete(this.known.keys().next().value as string);
    return doc.directPair;
  }
}
