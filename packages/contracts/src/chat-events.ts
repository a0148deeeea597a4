import { z } from 'zod';

/**
 * Events the chat service publishes. Each carries what a consumer needs without calling back:
 * the conversation, who acted, and the object as members see it. The CloudEvent id is derived
 * from the change (a message id and its version, say), so a redelivery has the same id.
 */

const id = z.string().min(1).max(64);

export const chatMessageView = z.object({
  id,
  conversationId: id,
  seq: z.number().int().positive(),
  clientMessageId: z.string(),
  senderId: id,
  text: z.string(),
  replyToId: id.nullable(),
  threadRootId: id.nullable(),
  mentions: z.array(id),
  mentionsEveryone: z.boolean(),
  /** `status` follows the media's processing (see `media.processed`); absent on older messages. */
  attachments: z.array(
    z.object({ mediaId: id, status: z.enum(['pending', 'processing', 'ready', 'failed']).optional() }),
  ),
  reactions: z.array(z.object({ emoji: z.string(), userIds: z.array(id) })),
  createdAt: z.iso.datetime(),
  editedAt: z.iso.datetime().nullable(),
  deletedAt: z.iso.datetime().nullable(),
  version: z.number().int().nonnegative(),
});

export type ChatMessageView = z.infer<typeof chatMessageView>;

/** Created, edited, deleted and reaction changes all carry the message as it now is. */
export const chatMessageEvent = z.object({
  conversationId: id,
  actorId: id,
  message: chatMessageView,
});

export type ChatMessageEvent = z.infer<typeof chatMessageEvent>;

export const chatReceiptEvent = z.object({
  conversationId: id,
  userId: id,
  kind: z.enum(['delivered', 'read']),
  seq: z.number().int().nonnegative(),
});

export type ChatReceiptEvent = z.infer<typeof chatReceiptEvent>;

export const chatMemberEvent = z.object({
  conversationId: id,
  userId: id,
  actorId: id,
  role: z.enum(['owner', 'admin', 'member']),
  /** When the membership began; absent from events of chat instances older than the field. */
  joinedAt: z.iso.datetime().optional(),
  /**
   * On `chat.member.added`: the conversation's last message number as the member joined (0 for
   * its founding members). Messages up to it came before them: never unread, never notified.
   * Absent from events of chat instances older than the field.
   */
  joinSeq: z.number().int().nonnegative().optional(),
});

export type ChatMemberEvent = z.infer<typeof chatMemberEvent>;

export const chatConversationEvent = z.object({
  conversationId: id,
  actorId: id,
  version: z.number().int().nonnegative(),
  changes: z.record(z.string(), z.unknown()),
});

export type ChatConversationEvent = z.infer<typeof chatConversationEvent>;
