import { z } from 'zod';

/**
 * What clients may emit, each validated before anything acts on it. Ids have the chat service's
 * formats; the chat service validates message bodies again in full.
 */
const conversationId = z.string().regex(/^c_[0-9a-f]{24}$/);
const userId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const sendEvent = z
  .object({
    conversationId,
    clientMessageId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
    text: z.string().max(4_000),
    replyToId: z.string().optional(),
    threadRootId: z.string().optional(),
    mentions: z.array(userId).max(100).optional(),
    mentionsEveryone: z.boolean().optional(),
    attachments: z
      .array(z.object({ mediaId: z.string() }).strict())
      .max(10)
      .optional(),
  })
  .strict();

/** The most conversations one sync (or a handshake's `auth.sync`) names; more go in further syncs. */
export const MAX_SYNC_CONVERSATIONS = 1_000;

/** The client's last sequence number held, per conversation. */
export const syncEvent = z
  .object({
    conversations: z
      .record(conversationId, z.number().int().min(0))
      .refine(
        (r) => Object.keys(r).length <= MAX_SYNC_CONVERSATIONS,
        `at most ${MAX_SYNC_CONVERSATIONS} conversations`,
      ),
  })
  .strict();

export const typingEvent = z.object({ conversationId, active: z.boolean().default(true) }).strict();

export const receiptEvent = z
  .object({ conversationId, kind: z.enum(['delivered', 'read']), seq: z.number().int().min(0) })
  .strict();

export const presenceSetEvent = z.object({ status: z.enum(['online', 'away']) }).strict();

export const presenceQueryEvent = z.object({ userIds: z.array(userId).min(1).max(200) }).strict();
