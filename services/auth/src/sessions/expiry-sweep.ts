import type { Logger } from '@parley/service-kit';
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
  let running = false;
  const sweep = () => {
    if (running) return;
    running = true;
    sessions
      .deleteExpired()
      .then((deleted) => {
        if (deleted.sessions + deleted.refreshTokens > 0) logger.info(deleted, 'expired sessions deleted');
      })
      .catch((err: unknown) => logger.warn({ err }, 'deleting expired sessions failed; trying again later'))
      .finally(() => {
        running = false;
      });
  };
  // A minute after start, so that a service restarting in a loop does not sweep in a loop too.
  const first = setTimeout(sweep, Math.min(everyMs, 60_000));
  const timer = setInterval(sweep, everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
