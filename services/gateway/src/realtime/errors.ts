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

/**
 * Chat cannot keep up: the gateway's queue of sends waiting for it is full, and this one was
 * refused before it was queued (it never reached chat). `retryAfterMs` says when to try again.
 */
export class SendQueueFullError extends AppError {
  constructor(retryAfterMs: number) {
    super('REALTIME_SEND_QUEUE_FULL', 503, 'Too many messages are waiting to be stored; try again shortly.', {
      retryAfterMs,
    });
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
 * for bad input, the list of each path and problem, as a REST answer would. A fault keeps only its
 * code, and when to try again if it says (a full send queue).
 */
export function ackError(err: unknown): AckFailure {
  if (err instanceof AppError) {
    const { retryAfterMs } = err.context;
    const retry = typeof retryAfterMs === 'number' ? { retryAfterMs } : {};
    if (err.status >= 500) {
      return {
        ok: false,
        error: { code: err.code, message: 'The request could not be completed; try again.', ...retry },
      };
    }
    const errors = err.context.errors as { path: string; message: string }[] | undefined;
    return {
      ok: false,
      error: {
        code: err.code,
        message: err.message,
        ...(errors ? { errors } : {}),
        ...retry,
      },
    };
  }
  return { ok: false, error: { code: 'INTERNAL', message: 'An unexpected error occurred.' } };
}
