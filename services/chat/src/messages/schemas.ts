import { hasNoLoneSurrogate, hasVisibleCharacter } from '@parley/contracts';
import { z } from 'zod';
import { clientMessageId, conversationId, mediaId, messageId, userId } from '../ids';

/** Longest message text, in UTF-16 code units (what JavaScript's `length` counts). */
export const MAX_TEXT_LENGTH = 4_000;

/** Control characters but tab, line feed and carriage return, which a message may well hold. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** Stored exactly as written: so no lone surrogate, which cannot be, and no control character. */
export const text = z
  .string()
  .max(MAX_TEXT_LENGTH)
  .refine(hasNoLoneSurrogate, { message: 'must not hold an unpaired surrogate' })
  .refine((value) => !CONTROL.test(value), {
    message: 'must not hold control characters (but tab and newlines)',
  });

/** A reaction: one short token such as an emoji, without whitespace or control characters. */
export const emoji = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[^\s\p{Cc}]+$/u, 'must be a single emoji or short token');

export const sendMessageBody = z
  .object({
    clientMessageId,
    text,
    replyToId: messageId.optional(),
    threadRootId: messageId.optional(),
    mentions: z.array(userId).max(100).optional(),
    mentionsEveryone: z.boolean().optional(),
    attachments: z
      .array(z.object({ mediaId }).strict())
      .max(10)
      .refine((list) => new Set(list.map((a) => a.mediaId)).size === list.length, 'each media once')
      .optional(),
  })
  .strict()
  .refine((b) => hasVisibleCharacter(b.text) || (b.attachments?.length ?? 0) > 0, {
    message: 'a message needs text or an attachment',
    path: ['text'],
  });

export const historyQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before: z.coerce.number().int().min(1).optional(),
    after: z.coerce.number().int().min(0).optional(),
    around: messageId.optional(),
    threadRootId: messageId.optional(),
  })
  .strict()
  .refine((q) => [q.before, q.after, q.around].filter((v) => v !== undefined).length <= 1, {
    message: 'give at most one of before, after and around',
  });

export const messageParams = z.object({ messageId }).strict();
export const reactionParams = z.object({ messageId, emoji }).strict();
/**
 * A new text and, optionally, the whole new list of users mentioned and whether it mentions
 * everyone (each left as it was when left out).
 */
export const editMessageBody = z
  .object({
    text: text.min(1),
    mentions: z.array(userId).max(100).optional(),
    mentionsEveryone: z.boolean().optional(),
  })
  .strict();

export const receiptBody = z
  .object({ kind: z.enum(['delivered', 'read']), seq: z.number().int().min(0) })
  .strict();

export { conversationId };
