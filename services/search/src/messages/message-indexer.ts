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
 * ledger already holds (a redelivery) or one older than it (out of order) changes nothing. The
 * backend is written before the ledger, so a backend failure leaves the event to be retried.
 */
export class MessageIndexer {
  constructor(
    private readonly store: Pick<MessageStore, 'versionOf' | 'record'>,
    private readonly backend: SearchBackend,
  ) {}

  /** Returns false when the change was stale and ignored. */
  async apply(message: ChatMessageView): Promise<boolean> {
    if ((await this.store.versionOf(message.id)) >= message.version) return false;
    const indexed = indexedMessage(message);
    const deleted = message.deletedAt !== null;
    if (deleted) await this.backend.removeMessage(message.id);
    else await this.backend.upsertMessages([indexed]);
    await this.store.record(indexed, deleted);
    return true;
  }
}
