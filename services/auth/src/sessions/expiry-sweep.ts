import { type Logger, startPeriodic } from '@parley/service-kit';
import type { SessionStore } from './session-store';

/** How often expired sessions and refresh tokens are deleted. */
export const EXPIRY_SWEEP_EVERY_MS = 60 * 60 * 1000;

/**
 * Deletes expired sessions and refresh tokens once soon after start and then every
 * `everyMs`; the returned function stops it. Each instance of the service sweeps: a delete that
 * another already made finds nothing. On the dev store the sweep reads both collections whole,
 * so it runs seldom.
 */
export function startExpirySweep(
  sessions: Pick<SessionStore, 'deleteExpired'>,
  logger: Logger,
  everyMs = EXPIRY_SWEEP_EVERY_MS,
): () => void {
  return startPeriodic(async () => {
    try {
      const deleted = await sessions.deleteExpired();
      if (deleted.sessions + deleted.refreshTokens > 0) logger.info(deleted, 'expired sessions deleted');
    } catch (err) {
      logger.warn({ err }, 'deleting expired sessions failed; trying again later');
    }
  }, everyMs);
}
