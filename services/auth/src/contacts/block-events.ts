import { randomUUID } from 'node:crypto';
import { Topics, type UserBlockChangedEvent } from '@parley/contracts';
import type { Logger, PublishOutbox } from '@parley/service-kit';
import type { BlockChangeListener } from './contact-store';

/**
 * Publishes `user.block.changed`, so that services keeping answers about blocks (notification's
 * block cache) drop the pair's at once instead of trusting them until they age out. It goes
 * through the publish outbox, as session revocations do: with the broker away the event is kept
 * and published once the sidecar takes it again. Only when it can be neither published nor kept
 * is it logged; consumers then fall back to the age limit of what they cached.
 */
export function blockChanges(outbox: Pick<PublishOutbox, 'publish'>, logger: Logger): BlockChangeListener {
  return async (blockerId, blockedId, blocked) => {
    const event: UserBlockChangedEvent = {
      blockerId,
      blockedId,
      blocked,
      occurredAt: new Date().toISOString(),
    };
    // One id per change: blocking again after an unblock is news, not a repeat.
    const eventId = `user-block-changed-${randomUUID()}`;
    try {
      await outbox.publish(Topics.userBlockChanged, event, eventId);
    } catch (err) {
      logger.error({ err, blockerId, blockedId, blocked }, 'publishing a block change failed');
    }
  };
}
