import type { ChatMessageView } from '@parley/contracts';
import type { MessageDoc } from '../store';

/** A message as members see it. A deleted message is a tombstone: its place, not its content. */
export function messageView(doc: MessageDoc): ChatMessageView {
  const byEmoji = new Map<string, string[]>();
  for (const reaction of doc.reactions) {
    byEmoji.set(reaction.emoji, [...(byEmoji.get(reaction.emoji) ?? []), reaction.userId]);
  }
  return {
    id: doc._id,
    conversationId: doc.conversationId,
    seq: doc.seq,
    clientMessageId: doc.clientMessageId,
    senderId: doc.senderId,
    text: doc.text,
    replyToId: doc.replyToId,
    threadRootId: doc.threadRootId,
    mentions: doc.mentions,
    mentionsEveryone: doc.mentionsEveryone,
    attachments: doc.attachments,
    reactions: [...byEmoji].map(([emoji, userIds]) => ({ emoji, userIds })),
    createdAt: doc.createdAt.toISOString(),
    editedAt: doc.editedAt?.toISOString() ?? null,
    deletedAt: doc.deletedAt?.toISOString() ?? null,
    version: doc.version,
  };
}

/** The short text a conversation list shows for its latest message. */
export function previewOf(doc: MessageDoc): string {
  if (doc.deletedAt) return '';
  if (doc.text) return doc.text.length > 120 ? `${doc.text.slice(0, 119)}…` : doc.text;
  return doc.attachments.length > 0 ? `[${doc.attachments.length} attachment(s)]` : '';
}
