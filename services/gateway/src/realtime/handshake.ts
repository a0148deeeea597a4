import type { TokenVerifier } from '@parley/identity';
import { AppError, type Logger, UnauthorizedError } from '@parley/service-kit';
import type { Socket } from 'socket.io';
import type { BlockChangeLog } from './block-change-log';
import type { ChatClient } from './chat-client';
import { HandshakeError } from './errors';
import type { RevokedSessions } from './revoked-sessions';
import { MAX_SYNC_CONVERSATIONS, syncEvent } from './socket-events';

type Next = (err?: Error) => void;

/**
 * Refuses a socket whose Origin is not on the allow-list (a page on another site cannot ride a
 * user's session) or whose `auth.token` is not a valid access token. Browsers always send Origin;
 * other clients set it to one of the allowed origins. `auth.sync`, optional, is what a reconnecting
 * client holds: `{ conversationId: lastSeq }`.
 */
export function checkHandshake(
  allowedOrigins: ReadonlySet<string>,
  verifier: TokenVerifier,
  revokedSessions: RevokedSessions,
  logger: Logger,
) {
  return (socket: Socket, next: Next) => {
    // A browser always names the page's origin, and only a listed one may connect with a user's
    // token. A native app sends none; it holds its token itself, which is what authenticates it.
    const origin = socket.handshake.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      logger.info({ origin }, 'socket refused: origin not allowed');
      next(new HandshakeError('REALTIME_ORIGIN_REFUSED', 'This origin may not connect.'));
      return;
    }
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    const cursors = syncEvent.shape.conversations.optional().safeParse(auth.sync);
    if (!cursors.success) {
      // The count is the one refinement; a client past it learns how to send the rest.
      const tooMany = cursors.error.issues.some((issue) => issue.code === 'custom');
      const detail = tooMany
        ? `auth.sync holds at most ${MAX_SYNC_CONVERSATIONS} conversations; send the others in sync events.`
        : 'auth.sync maps conversation ids to sequence numbers.';
      next(new HandshakeError('VALIDATION_FAILED', detail));
      return;
    }
    socket.data.cursors = cursors.data ?? {};
    const token = auth.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      next(new HandshakeError('AUTH_TOKEN_MISSING', 'Connecting needs an access token in auth.token.'));
      return;
    }
    verifier
      .verify(token)
      .then(async (principal) => {
        if (await revokedSessions.has(principal.sessionId)) {
          throw new UnauthorizedError('AUTH_SESSION_REVOKED', 'This session has been revoked.');
        }
        return principal;
      })
      .then(
        (principal) => {
          socket.data.principal = principal;
          socket.data.expiresAt = expiryOf(token);
          next();
        },
        (err: unknown) => {
          if (!(err instanceof AppError)) logger.error({ err }, 'token verification failed');
          // A refused token says why; a store that could not be asked says so, to be retried.
          if (err instanceof AppError && (err.status === 401 || err.status === 503)) {
            next(new HandshakeError(err.code, err.message));
            return;
          }
          next(new HandshakeError('AUTH_TOKEN_INVALID', 'The access token is not valid.'));
        },
      );
  };
}

/**
 * Loads what a socket needs before it counts as connected: its conversations and presence audience.
 * The block change log is marked before the audience is read, so that a block arriving meanwhile
 * is noticed before the socket connects.
 */
export function loadMembership(chat: ChatClient, blockChanges: BlockChangeLog, logger: Logger) {
  return (socket: Socket, next: Next) => {
    const { userId } = socket.data.principal as { userId: string };
    socket.data.audienceMark = blockChanges.mark();
    Promise.all([chat.conversations(userId), chat.audience(userId)]).then(
      ([conversations, audience]) => {
        socket.data.conversations = conversations;
        socket.data.audience = audience.userIds;
        socket.data.hidden = audience.hidden;
        next();
      },
      (err: unknown) => {
        logger.error({ err, userId }, 'socket refused: chat service unavailable');
        next(new HandshakeError('REALTIME_UNAVAILABLE', 'Real-time is unavailable; try again shortly.'));
      },
    );
  };
}

/** When a verified token expires (its `exp`, in ms); the socket is closed then. */
function expiryOf(verifiedToken: string): number {
  const payload = verifiedToken.split('.')[1] ?? '';
  const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
  return typeof exp === 'number' ? exp * 1000 : Date.now();
}
