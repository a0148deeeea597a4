import type { ChatMessageView } from '@parley/contracts';
import type { IndexedMessage, SearchBackend } from '../engine/types';
import type { MessageStore } from './message-store';

export function indexedMessage(message: ChatMessageView): IndexedMessage {
  return {
    id: message.id,
    conversationId: message.conversationId,
    senderId: message.senderId,
    text: message.text,
    hasAttachment: message.attachments.length > 0,
    createdAt: message.createdAt,
    editedAt: message.editedAt,
    version: message.version,
  };
}

/**
 * Applies a message as chat now has it. The message's version orders changes: a version the
 * ledger already holds (a redelivery) or one older than it (out of order) changes nothing.
 *
 * A change is written to the backend before the ledger, so a backend failure leaves the event to
 * be retried. A new message, the one change nearly every message has, is claimed in the ledger
 * first instead: its insert is the check, which spares a read per message, and a backend failure
 * takes the claim back before the event is retried.
 */
export class MessageIndexer {
  constructor(
    private readonly store: Pick<MessageStore, 'versionOf' | 'record' | 'claimNew' | 'unclaim'>,
    private readonly backend: SearchBackend,
  ) {}

  /** Returns false when the change was stale and ignored. */
  async apply(message: ChatMessageView): Promise<boolean> {
    if (message.version === 0 && message.deletedAt === null) return this.applyNew(message);
    if ((await this.store.versionOf(message.id)) >= message.version) return false;
    const indexed = indexedMessage(message);
    const deleted = message.deletedAt !== null;
    if (deleted) await this.backend.removeMessage(message.id);
    else await this.backend.upsertMessages([indexed]);
    await this.store.record(indexed, deleted);
    return true;
  }

  private async applyNew(message: ChatMessageView): Promise<boolean> {
    const indexed = indexedMessage(message);
    if (!(await this.store.claimNew(indexed))) return false;
    try {
      await this.backend.upsertMessages([indexed]);
    } catch (err) {
      await this.store.unclaim(message.id).catch(() => undefined);
      throw err;
    }
    return true;
  }
}
