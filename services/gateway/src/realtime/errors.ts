import { AppError } from '@parley/service-kit';

/** Why a socket was refused at the handshake; the client reads `err.data.code` on `connect_error`. */
export class HandshakeError extends Error {
  readonly data: { code: string; message: string };

  constructor(code: string, message: string) {
    super(message);
    this.name = 'HandshakeError';
    this.data = { code, message };
  }
}

export class NotAMemberError extends AppError {
  constructor(conversationId: string) {
    super('CHAT_CONVERSATION_NOT_FOUND', 404, 'No such conversation.', { conversationId });
  }
}

/** A user sent more messages than their budget (across every socket); `retryAfterMs` says when to. */
export class SendsLimitedError extends AppError {
  constructor(retryAfterMs: number) {
    super('RATE_LIMITED', 429, 'Too many messages; slow down.', { retryAfterMs });
  }
}

export interface AckFailure {
  ok: false;
  error: {
    code: string;
    message: string;
    errors?: { path: string; message: string }[];
    retryAfterMs?: number;
  };
}

/**
 * The shape every acknowledgement of a failed socket request takes. A refusal keeps its words and,
 * for bad input, the list of each path and problem, as a REST answer would.
 */
export function ackError(err: unknown): AckFailure {
  if (err instanceof AppError) {
    if (err.status >= 500) {
      return {
        ok: false,
        error: { code: err.code, message: 'The request could not be completed; try again.' },
      };
    }
    const errors = err.context.errors as { path: string; message: string }[] | undefined;
    const { retryAfterMs } = err.context;
    return {
      ok: false,
      error: {
        code: err.code,
        message: err.message,
        ...(errors ? { errors } : {}),
        ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
      },
    };
  }
  return { ok: false, error: { code: 'INTERNAL', message: 'An unexpected error occurred.' } };
}
