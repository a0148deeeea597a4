import { z } from 'zod';
import { INVITE_TOKEN_PATTERN } from './invite-tokens';

const conversationId = z.string().regex(/^c_[0-9a-f]{24}$/, 'must be a conversation id');

/** Exactly one way to reach the invitee. */
export const createInviteBody = z.union([
  z
    .object({
      conversationId,
      username: z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[a-z0-9_.]{3,32}$/, 'must be a username'),
    })
    .strict(),
  z
    .object({
      conversationId,
      email: z
        .string()
        .trim()
        .max(254)
        .pipe(z.email())
        .transform((e) => e.toLowerCase()),
    })
    .strict(),
  z
    .object({
      conversationId,
      phone: z.string().regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 number such as +14155550100'),
    })
    .strict(),
]);

export type CreateInviteBody = z.infer<typeof createInviteBody>;

export const inviteParams = z.object({ inviteId: z.string().regex(/^[A-Za-z0-9_-]{22}$/) }).strict();

export const listInvitesQuery = z
  .object({
    /** `open` (the default) lists invites still waiting on someone; `all` includes closed ones. */
    status: z.enum(['open', 'all']).default('open'),
    /** An admin lists a group's invites; without it, the caller's own. */
    conversationId: conversationId.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
  })
  .strict();

export const acceptLinkBody = z
  .object({ token: z.string().regex(INVITE_TOKEN_PATTERN, 'is not a valid invite link token') })
  .strict();

export const deliveryBody = z.object({ kind: z.enum(['initial', 'reminder']) }).strict();

const iso = z.iso.datetime();
const id = z.string().min(1).max(64);

/** The workflow's state, as its record activity sends it. */
export const inviteStateBody = z
  .object({
    inviteId: id,
    status: z.enum([
      'pending',
      'accepting',
      'awaiting_approval',
      'approving',
      'accepted',
      'declined',
      'revoked',
      'rejected',
      'expired',
      'failed',
    ]),
    inviteeUserId: id.nullable(),
    decidedBy: id.nullable(),
    failureCode: z.string().max(128).nullable(),
    remindedAt: iso.nullable(),
    version: z.number().int().positive(),
    updatedAt: iso,
  })
  .strict();
