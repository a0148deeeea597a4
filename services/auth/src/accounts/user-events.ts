import { randomUUID } from 'node:crypto';
import {
  Topics,
  type UserDeletedEvent,
  type UserRegisteredEvent,
  type UserUpdatedEvent,
} from '@parley/contracts';
import type { Logger, Sidecar } from '@parley/service-kit';
import type { Collection, Db } from 'mongodb';
import { type UserDoc, publicUser } from './user-store';

type UserTopic = typeof Topics.userRegistered | typeof Topics.userUpdated | typeof Topics.userDeleted;
type UserEvent = UserRegisteredEvent | UserUpdatedEvent | UserDeletedEvent;

/** An event recorded before it is published, and removed once the sidecar took it. */
interface OutboxDoc {
  /** The CloudEvent id, the same on every try, so consumers apply it once. */
  _id: string;
  topic: UserTopic;
  userId: string;
  event: UserEvent;
  at: Date;
}

export interface UserEventsOptions {
  /** How long an entry waits before the relay takes it as failed and publishes it again. */
  retryAfterMs: number;
  /** How often the relay looks for such entries. */
  relayEveryMs: number;
}

export const USER_EVENTS_DEFAULTS: UserEventsOptions = { retryAfterMs: 10_000, relayEveryMs: 5_000 };

/** How many waiting entries one relay pass publishes. */
const RELAY_BATCH = 100;

/**
 * Publishes account events through the sidecar. They carry ids and public fields only. Each is
 * written to an outbox first and removed once the sidecar took it; a relay publishes what stayed
 * (the sidecar or the broker was down), so a change the user made is announced even when the
 * announcement fails at first. A failed publish never undoes the user's change.
 *
 * A retried profile event carries the profile as it is when retried, not as it was: consumers keep
 * the latest profile, and an old one published late would overwrite a newer one.
 */
export class UserEvents {
  private readonly outbox: Collection<OutboxDoc>;

  constructor(
    private readonly sidecar: Pick<Sidecar, 'publish'>,
    private readonly logger: Logger,
    db: Db,
    private readonly currentUser: (userId: string) => Promise<UserDoc | null>,
    private readonly options: UserEventsOptions = USER_EVENTS_DEFAULTS,
  ) {
    this.outbox = db.collection('user_event_outbox');
  }

  async ensureIndexes(): Promise<void> {
    await this.outbox.createIndex({ at: 1 }, { name: 'at' });
  }

  registered(user: UserDoc): Promise<void> {
    const event: UserRegisteredEvent = { userId: user._id, user: publicUser(user), occurredAt: now() };
    return this.publish(Topics.userRegistered, event, `user-registered-${user._id}`);
  }

  updated(user: UserDoc): Promise<void> {
    const event: UserUpdatedEvent = { userId: user._id, user: publicUser(user), occurredAt: now() };
    return this.publish(Topics.userUpdated, event, `user-updated-${user._id}-${randomUUID()}`);
  }

  deleted(userId: string): Promise<void> {
    const event: UserDeletedEvent = { userId, occurredAt: now() };
    return this.publish(Topics.userDeleted, event, `user-deleted-${userId}`);
  }

  /** Starts the relay; the returned function stops it. */
  startRelay(): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.relay()
        .catch((err: unknown) => this.logger.warn({ err }, 'user event relay pass failed'))
        .finally(() => {
          running = false;
        });
    }, this.options.relayEveryMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Publishes the entries left longer than the retry delay; how many were published. */
  async relay(): Promise<number> {
    const waiting = await this.outbox
      .find({ at: { $lt: new Date(Date.now() - this.options.retryAfterMs) } })
      .sort({ at: 1 })
      .limit(RELAY_BATCH)
      .toArray();
    let published = 0;
    for (const entry of waiting) {
      const event = await this.refreshed(entry);
      if (!event) {
        // The account is gone: its deletion event says all that is left to say.
        await this.outbox.deleteOne({ _id: entry._id });
        continue;
      }
      try {
        await this.sidecar.publish(entry.topic, event, entry._id);
      } catch (err) {
        this.logger.warn({ err, topic: entry.topic, userId: entry.userId }, 'user event still not published');
        return published;
      }
      await this.outbox.deleteOne({ _id: entry._id });
      published += 1;
    }
    return published;
  }

  private async refreshed(entry: OutboxDoc): Promise<UserEvent | null> {
    if (entry.topic === Topics.userDeleted) return entry.event;
    const user = await this.currentUser(entry.userId);
    return user ? { userId: user._id, user: publicUser(user), occurredAt: entry.event.occurredAt } : null;
  }

  private async publish(topic: UserTopic, event: UserEvent, eventId: string): Promise<void> {
    let recorded = true;
    try {
      await this.outbox.insertOne({ _id: eventId, topic, userId: event.userId, event, at: new Date() });
    } catch (err) {
      // Already there (a repeated deletion) or the store failed: publish all the same.
      recorded = (err as { code?: number }).code === 11000;
      if (!recorded) this.logger.error({ err, topic, userId: event.userId }, 'recording a user event failed');
    }
    try {
      await this.sidecar.publish(topic, event, eventId);
    } catch (err) {
      this.logger.error(
        { err, topic, userId: event.userId },
        recorded ? 'publishing a user event failed; it will be retried' : 'publishing a user event failed',
      );
      return;
    }
    if (recorded) {
      await this.outbox.deleteOne({ _id: eventId }).catch((err: unknown) => {
        // Left behind, it is published once more later: harmless, consumers apply it once.
        this.logger.warn({ err, topic, userId: event.userId }, 'clearing a published user event failed');
      });
    }
  }
}

function now(): string {
  return new Date().toISOString();
}
