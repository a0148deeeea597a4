import { AppError } from '@parley/service-kit';

/**
 * Domain errors of the chat service. Each has a stable code; the README of this service lists
 * them. A conversation a caller is not a member of is reported exactly like one that does not
 * exist, so ids cannot be probed.
 */
export class ConversationNotFoundError extends AppError {
  constructor(conversationId: string) {
    super('CHAT_CONVERSATION_NOT_FOUND', 404, 'No such conversation.', { conversationId });
  }
}

export class MessageNotFoundError extends AppError {
  constructor(messageId: string) {
    super('CHAT_MESSAGE_NOT_FOUND', 404, 'No such message.', { messageId });
  }
}

export class UserNotFoundError extends AppError {
  constructor(userId: string) {
    super('CHAT_USER_NOT_FOUND', 404, 'No such user.', { userId });
  }
}

export class ForbiddenError extends AppError {
  constructor(code: string, message: string, context: Record<string, unknown> = {}) {
    super(code, 403, message, context);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string, context: Record<string, unknown> = {}) {
    super(code, 409, message, context);
  }
}

export class BlockedError extends ForbiddenError {
  constructor(userId: string) {
    super('CHAT_USER_BLOCKED', 'You and this user cannot message each other.', { userId });
  }
}

export class RoleRequiredError extends ForbiddenError {
  constructor(role: string) {
    super('CHAT_ROLE_REQUIRED', `This needs the ${role} role in the conversation.`, { role });
  }
}

/** The other user of a direct conversation deleted their account: its history stays, sends do not. */
export class PeerDeletedError extends ConflictError {
  constructor(userId: string) {
    super('CHAT_PEER_DELETED', 'The other user deleted their account.', { userId });
  }
}

/** A reaction past what one user may leave on a message, or past the emoji one message holds. */
export class TooManyReactionsError extends ConflictError {
  constructor(messageId: string, per: 'user' | 'message', limit: number) {
    super(
      'CHAT_TOO_MANY_REACTIONS',
      per === 'user'
        ? `One user leaves at most ${limit} reactions on a message.`
        : `A message holds at most ${limit} different reactions.`,
      { messageId, per, limit },
    );
  }
}
