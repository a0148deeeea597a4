import { createHash } from 'node:crypto';
import { type SessionRevokedEvent, Topics } from '@parley/contracts';
import type { Logger, PublishOutbox } from '@parley/service-kit';
import type { SessionRevocationListener } from './session-store';

/**
 * Publishes `session.revoked` so that the gateway refuses a revoked session's access tokens at
 * once. It goes through the publish outbox: with the broker away (or its circuit breaker open) the
 * event is kept in auth's database and published once the sidecar takes it again, so a revocation
 * made during an outage still reaches the gateway. Only when it can be neither published nor kept
 * is it logged; the tokens then still work elsewhere until they expire, and auth itself refuses
 * them anyway.
 */
export function sessionRevocations(
  outbox: Pick<PublishOutbox, 'publish'>,
  logger: Logger,
): SessionRevocationListener {
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
      await outbox.publish(Topics.sessionRevoked, event, eventId);
    } catch (err) {
      logger.error({ err, userId, sessions: sessionIds.length }, 'publishing a session revocation failed');
    }
  };
}
