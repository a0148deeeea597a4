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

/** The shape every acknowledgement of a failed socket request takes. */
export function ackError(err: unknown): { ok: false; error: { code: string; message: string } } {
  if (err instanceof AppError) {
    const message = err.status >= 500 ? 'The request could not be completed; try again.' : err.message;
    return { ok: false, error: { code: err.code, message } };
  }
  return { ok: false, error: { code: 'INTERNAL', message: 'An unexpected error occurred.' } };
}
