import {
  Topics,
  type UserDeletedEvent,
  type UserRegisteredEvent,
  type UserUpdatedEvent,
} from '@parley/contracts';
import type { Logger, Sidecar } from '@parley/service-kit';
import { type UserDoc, publicUser } from './user-store';

/**
 * Publishes account events through the sidecar. They carry ids and public fields only. A failed
 * publish is logged and does not undo the change the user already made.
 * TODO(outbox): an event lost to a sidecar outage is not retried; an outbox collection would fix it.
 */
export class UserEvents {
  constructor(
    private readonly sidecar: Sidecar,
    private readonly logger: Logger,
  ) {}

  registered(user: UserDoc): Promise<void> {
    const event: UserRegisteredEvent = { userId: user._id, user: publicUser(user), occurredAt: now() };
    return this.publish(Topics.userRegistered, event, `user-registered-${user._id}`);
  }

  updated(user: UserDoc): Promise<void> {
    const event: UserUpdatedEvent = { userId: user._id, user: publicUser(user), occurredAt: now() };
    return this.publish(Topics.userUpdated, event);
  }

  deleted(userId: string): Promise<void> {
    const event: UserDeletedEvent = { userId, occurredAt: now() };
    return this.publish(Topics.userDeleted, event, `user-deleted-${userId}`);
  }

  private async publish(topic: string, event: { userId: string }, eventId?: string): Promise<void> {
    try {
      await this.sidecar.publish(topic, event, eventId);
    } catch (err) {
      this.logger.error({ err, topic, userId: event.userId }, 'publishing a user event failed');
    }
  }
}

function now(): string {
  return new Date().toISOString();
}
