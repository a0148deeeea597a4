import { z } from 'zod';

/** Pub/sub topics. Each has a declarative subscription in `components/` naming its subscribers. */
export const Topics = {
  /** An operator's self-test: every back-end service records that it received it. */
  platformProbe: 'platform.probe',
  /** Where the sidecar moves an event a subscriber dropped or could not apply after its retries. */
  deadLetter: 'platform.deadletter',
  /** Chat changes, published by the chat service; see `chat-events.ts` for their data. */
  chatMessageCreated: 'chat.message.created',
  chatMessageEdited: 'chat.message.edited',
  chatMessageDeleted: 'chat.message.deleted',
  chatReactionChanged: 'chat.reaction.changed',
  chatReceiptUpdated: 'chat.receipt.updated',
  chatMemberAdded: 'chat.member.added',
  chatMemberRemoved: 'chat.member.removed',
  chatConversationUpdated: 'chat.conversation.updated',
  /** An account was created (password registration or first OpenID Connect login). */
  userRegistered: 'user.registered',
  /** A user's public profile changed. */
  userUpdated: 'user.updated',
  /** An account was deleted and its personal data removed. */
  userDeleted: 'user.deleted',
  /** A user blocked or unblocked another; see `userBlockChangedEvent`. */
  userBlockChanged: 'user.block.changed',
  /** Sessions ended before their time (logout, revocation, reset, stolen refresh token, deletion). */
  sessionRevoked: 'session.revoked',
} as const;

export const platformProbeEvent = z
  .object({
    probeId: z.uuid(),
    requestedAt: z.iso.datetime(),
  })
  .strict();

export type PlatformProbeEvent = z.infer<typeof platformProbeEvent>;

/** The public fields of a user, as events and other services see them: no email, phone or secrets. */
export const publicUserFields = z
  .object({
    id: z.string().min(1),
    username: z.string().min(1),
    displayName: z.string(),
    avatarMediaId: z.string().nullable(),
    statusText: z.string().nullable(),
    timeZone: z.string().nullable(),
    language: z.string().nullable(),
  })
  .strict();

export type PublicUserFields = z.infer<typeof publicUserFields>;

export const userRegisteredEvent = z
  .object({ userId: z.string().min(1), user: publicUserFields, occurredAt: z.iso.datetime() })
  .strict();

export type UserRegisteredEvent = z.infer<typeof userRegisteredEvent>;

export const userUpdatedEvent = z
  .object({ userId: z.string().min(1), user: publicUserFields, occurredAt: z.iso.datetime() })
  .strict();

export type UserUpdatedEvent = z.infer<typeof userUpdatedEvent>;

/** Only the id survives a deletion; subscribers drop what they hold about the user. */
export const userDeletedEvent = z
  .object({ userId: z.string().min(1), occurredAt: z.iso.datetime() })
  .strict();

export type UserDeletedEvent = z.infer<typeof userDeletedEvent>;

/**
 * A user blocked (`blocked: true`) or unblocked another. A block holds both ways, so consumers
 * treat the two ids as an unordered pair; the event says the pair changed, and the current
 * answer is auth's (`/internal/v1/relations/check`), since events may arrive out of order.
 */
export const userBlockChangedEvent = z
  .object({
    blockerId: z.string().min(1),
    blockedId: z.string().min(1),
    blocked: z.boolean(),
    occurredAt: z.iso.datetime(),
  })
  .strict();

export type UserBlockChangedEvent = z.infer<typeof userBlockChangedEvent>;

/**
 * Sessions that ended early. Access tokens carry their session id (`sid`); the gateway refuses those
 * of a revoked session at once, rather than when they expire.
 */
export const sessionRevokedEvent = z
  .object({
    userId: z.string().min(1),
    sessionIds: z.array(z.string().min(1).max(64)).min(1).max(10_000),
    reason: z.string().max(100),
    occurredAt: z.iso.datetime(),
  })
  .strict();

export type SessionRevokedEvent = z.infer<typeof sessionRevokedEvent>;
