import { z } from 'zod';

/** Conversation ids as chat issues them, user ids as auth does: anything else names nothing. */
const conversationId = z.string().regex(/^c_[0-9a-f]{24}$/, 'must be a conversation id');
const userId = z.uuid('must be a user id');

/** One value, or the same parameter repeated (`?senderId=a&senderId=b`). */
const repeatable = <S extends z.ZodType<string>>(id: S) =>
  z
    .union([id, z.array(id).max(50)])
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .optional();

/**
 * `GET /v1/search/messages`. Strict: a parameter this schema does not name (a raw filter
 * expression, a field list, a nested object) is refused rather than ignored.
 */
export const messageSearchQuery = z
  .object({
    q: z.string().max(256).default(''),
    conversationId: repeatable(conversationId),
    senderId: repeatable(userId),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    hasAttachment: z.enum(['true', 'false']).optional(),
    sort: z.enum(['relevance', 'date']).optional(),
    page: z.coerce.number().int().min(1).max(100).default(1),
    perPage: z.coerce.number().int().min(1).max(50).default(20),
  })
  .strict()
  .refine(({ from, to }) => from === undefined || to === undefined || Date.parse(from) <= Date.parse(to), {
    path: ['to'],
    message: 'must not be before `from`',
  });

export const peopleSearchQuery = z
  .object({
    q: z
      .string()
      .trim()
      .min(1)
      .max(254)
      // eslint-disable-next-line no-control-regex -- control characters are what it refuses
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not hold control characters'),
    limit: z.coerce.number().int().min(1).max(50).default(20),
  })
  .strict();
