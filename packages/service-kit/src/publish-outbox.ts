import type { Collection, Db } from 'mongodb';
import type { Logger } from 'pino';
import { Poller, claimDue, describeError } from './due-work';
import type { Sidecar } from './dapr';

export interface PublishOutboxOptions {
  /**
   * How long a publish may take before the event is kept instead. With the broker away the sidecar
   * retries for half a minute; the change is stored, so its caller need not wait for that.
   */
  publishTimeoutMs: number;
  /** Wait before the first retry; each later one waits twice as long, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** How often due events are looked for. */
  pollMs: number;
  /** How long a claimed event is hidden from other instances while it is published. */
  leaseMs: number;
  /** Events published per poll at most, oldest first. */
  perPoll: number;
  now?: () => number;
}

export const PUBLISH_OUTBOX_DEFAULTS: PublishOutboxOptions = {
  publishTimeoutMs: 3_000,
  firstDelayMs: 1_000,
  // Short: kept events exist only while the broker is away, and should follow soon once it is back.
  maxDelayMs: 5_000,
  pollMs: 1_000,
  leaseMs: 30_000,
  perPoll: 100,
};

interface KeptEvent {
  /** The CloudEvent id, the same on every try, so consumers apply the event once. */
  _id: string;
  topic: string;
  /** The event's data as JSON text: a document may not hold every key an event may. */
  data: string;
  retries: number;
  dueAt: Date;
  keptAt: Date;
  lastError: string;
}

/**
 * Publishes through the sidecar, and keeps in the service's database what the sidecar refused (the
 * broker or the sidecar is away), answering as if it went out: the change it announces is already
 * stored, so the event must follow it, and now will. Kept events are published again with a
 * growing wait (up to 5 s), by whichever instance claims them first, until the sidecar takes them;
 * none is given up. Only when the event cannot be kept either does `publish` fail, and the
 * caller's change is announced when it is retried.
 *
 * Events kept here go out later than those published since, so consumers must not depend on
 * arrival order (they order by sequence numbers and versions) and must apply an id once.
 */
export class PublishOutbox {
  private readonly collection: Collection<KeptEvent>;
  private readonly options: PublishOutboxOptions;
  private readonly now: () => number;
  private readonly poller: Poller;

  constructor(
    db: Db,
    private readonly sidecar: Pick<Sidecar, 'publish'>,
    private readonly logger: Logger,
    options: Partial<PublishOutboxOptions> = {},
  ) {
    this.collection = db.collection<KeptEvent>('publish_outbox');
    this.options = { ...PUBLISH_OUTBOX_DEFAULTS, ...options };
    this.now = this.options.now ?? Date.now;
    this.poller = new Poller(() => this.publishDue(), this.options.pollMs, logger, 'publishing kept events');
  }

  async init(): Promise<void> {
    await this.collection.createIndex({ dueAt: 1 });
  }

  /** Publishes, or keeps the event for later; throws only when it could do neither. */
  async publish(topic: string, data: object, eventId: string): Promise<void> {
    try {
      await this.publishWithin(topic, data, eventId);
      return;
    } catch (err) {
      const now = this.now();
      try {
        await this.collection.updateOne(
          { _id: eventId },
          {
            $setOnInsert: {
              topic,
              data: JSON.stringify(data),
              retries: 0,
              dueAt: new Date(now + this.options.firstDelayMs),
              keptAt: new Date(now),
              lastError: describeError(err),
            },
          },
          { upsert: true },
        );
      } catch (keepError) {
        this.logger.error(
          { err, keepError, topic, eventId },
          'publishing failed and the event could not be kept',
        );
        throw err;
      }
      this.logger.warn({ err, topic, eventId }, 'publishing failed; the event is kept and will be published');
    }
  }

  /**
   * The sidecar's publish, or a failure once it took too long. A slow publish that succeeds after
   * all sends the event twice under one id, which consumers apply once.
   */
  private async publishWithin(topic: string, data: object, eventId: string): Promise<void> {
    const attempt = this.sidecar.publish(topic, data, eventId);
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`publishing took over ${this.options.publishTimeoutMs} ms`)),
        this.options.publishTimeoutMs,
      );
    });
    try {
      await Promise.race([attempt, slow]);
    } catch (err) {
      // What the late attempt does is of no more interest: the event is kept either way.
      attempt.catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** How many events wait to be published (for tests and operators). */
  async waiting(): Promise<number> {
    return this.collection.countDocuments({});
  }

  /** Starts publishing due events every `pollMs`. */
  start(): void {
    this.poller.start();
  }

  /** Stops polling and waits for a pass in progress. */
  async stop(): Promise<void> {
    await this.poller.stop();
  }

  /** Claims and publishes what is due, up to `perPoll` events; resolves with how many went out. */
  async publishDue(): Promise<number> {
    let published = 0;
    for (let taken = 0; taken < this.options.perPoll && !this.poller.isStopped; taken += 1) {
      const now = this.now();
      const kept = await claimDue(this.collection, now, this.options.leaseMs);
      if (!kept) break;
      try {
        await this.publishWithin(kept.topic, JSON.parse(kept.data) as object, kept._id);
      } catch (err) {
        const retries = kept.retries + 1;
        const delay = Math.min(this.options.firstDelayMs * 2 ** retries, this.options.maxDelayMs);
        await this.collection.updateOne(
          { _id: kept._id },
          { $set: { retries, dueAt: new Date(this.now() + delay), lastError: describeError(err) } },
        );
        this.logger.warn(
          { err, topic: kept.topic, eventId: kept._id, retries },
          'kept event still not published',
        );
        // The sidecar or broker is still away: the rest waits for the next poll.
        return published;
      }
      await this.collection.deleteOne({ _id: kept._id });
      published += 1;
      this.logger.info({ topic: kept.topic, eventId: kept._id }, 'kept event published');
    }
    return published;
  }
}
