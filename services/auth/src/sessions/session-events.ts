import { createHash } from 'node:crypto';
import { type SessionRevokedEvent, Topics } from '@parley/contracts';
import type { Logger, Sidecar } from '@parley/service-kit';
import type { SessionRevocationListener } from './session-store';

/**
 * Publishes `session.revoked` so that the gateway refuses a revoked session's access tokens at
 * once. A failed publish is logged: the tokens then still work elsewhere until they expire (at
 * most the access token lifetime), as before this event existed; auth itself refuses them anyway.
 */
export function sessionRevocations(sidecar: Sidecar, logger: Logger): SessionRevocationListener {
  return async (userId, sessionIds, reason) => {
    const event: SessionRevokedEvent = {
      userId,
      sessionIds,
      reason,
      occurredAt: new Date().toISOString(),
    };
    // One id per set of sessions: a retried publish of the same revocation is recognised.
    const eventId = `session-revoked-${createHash('sha256').update(sessionIds.join(',')).digest('hex').slice(0, 32)}`;
    try {
      await sidecar.publish(Topics.sessionRevoked, event, eventId);
    } catch (err) {
      logger.error({ err, userId, sessions: sessionIds.length }, 'publishing a session revocation failed');
    }
  };
}
