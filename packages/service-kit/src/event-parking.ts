import type { Collection, Db } from 'mongodb';
import type { Logger } from 'pino';
import { Poller, claimDue, describeError } from './due-work';
import type { DeliveryOutcome, EventEnvelope } from './events';

/** Runs one stored event again; the answer means what a subscriber's answer to the sidecar means. */
export type EventAttempt = (
  event: unknown,
  log: Logger,
) => Promise<{ outcome: DeliveryOutcome; error?: unknown }>;

export interface EventParkingOptions {
  /** Retries after the failed delivery before the event goes to the dead-letter topic. */
  maxRetries: number;
  /** Wait before the first retry; each later one waits twice as long, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** How often due events are looked for. */
  pollMs: number;
  /** How long a claimed event is hidden from other instances while it is retried. */
  leaseMs: number;
  /** Events retried per poll at most, one after the other. */
  perPoll: number;
  now?: () => number;
}

export const EVENT_PARKING_DEFAULTS: EventParkingOptions = {
  maxRetries: 10,
  firstDelayMs: 1_000,
  maxDelayMs: 60_000,
  pollMs: 1_000,
  leaseMs: 60_000,
  perPoll: 50,
};

interface ParkedEvent {
  /** The route and the event id: an event parked twice (a redelivery) is kept once. */
  _id: string;
  route: string;
  eventId: string;
  /**
   * The CloudEvent as JSON text, as the dead-letter store keeps payloads: an event may hold keys
   * no document may.
   */
  body: string;
  retries: number;
  dueAt: Date;
  parkedAt: Date;
  lastError: string;
}

/**
 * Where a subscriber keeps the events it failed to apply, so it can answer the sidecar SUCCESS
 * and retry them itself. Useful on a subscription that takes events in batches: there, an entry
 * answered RETRY holds back every later event of the subscription while the sidecar retries it.
 * Parked events are retried with a growing wait, by whichever instance claims them first, and
 * after `maxRetries` go to the dead-letter topic, as the sidecar would have sent them.
 *
 * Nothing is lost: an event is answered SUCCESS only once it is stored here, and removed only once
 * it was applied, dropped or dead-lettered. An event may be applied twice (a retry whose removal
 * failed, or a lease that ran out mid-retry), so handlers must be idempotent, as they already
 * must be for the sidecar's redeliveries.
 */
export class EventParking {
  private readonly collection: Collection<ParkedEvent>;
  private readonly attempts = new Map<string, EventAttempt>();
  private readonly options: EventParkingOptions;
  private readonly now: () => number;
  private readonly poller: Poller;

  constructor(
    db: Db,
    private readonly deadLetter: (event: EventEnvelope<unknown>) => Promise<void>,
    private readonly logger: Logger,
    options: Partial<EventParkingOptions> = {},
  ) {
    this.collection = db.collection<ParkedEvent>('parked_events');
    this.options = { ...EVENT_PARKING_DEFAULTS, ...options };
    this.now = this.options.now ?? Date.now;
    this.poller = new Poller(() => this.retryDue(), this.options.pollMs, logger, 'retrying parked events');
  }

  async init(): Promise<void> {
    await this.collection.createIndex({ dueAt: 1 });
  }

  /** Called by `onEvent` for each route that parks its failures. */
  register(route: string, attempt: EventAttempt): void {
    this.attempts.set(route, attempt);
  }

  /** Stores a failed event for a later retry; throws when it could not be stored. */
  async park(route: string, event: EventEnvelope<unknown>, error: unknown): Promise<void> {
    const now = this.now();
    await this.collection.updateOne(
      { _id: `${route}|${event.id}` },
      {
        $setOnInsert: {
          route,
          eventId: event.id,
          body: JSON.stringify(event),
          retries: 0,
          dueAt: new Date(now + this.options.firstDelayMs),
          parkedAt: new Date(now),
          lastError: describeError(error),
        },
      },
      { upsert: true },
    );
  }

  /** How many events wait for a retry (for tests and operators). */
  async waiting(): Promise<number> {
    return this.collection.countDocuments({});
  }

  /** Starts retrying due events every `pollMs`. */
  start(): void {
    this.poller.start();
  }

  /** Stops polling and waits for a pass in progress. */
  async stop(): Promise<void> {
    await this.poller.stop();
  }

  /** Claims and retries what is due, up to `perPoll` events; resolves with how many it took. */
  async retryDue(): Promise<number> {
    let taken = 0;
    while (taken < this.options.perPoll && !this.poller.isStopped) {
      const now = this.now();
      const claimed = await claimDue(this.collection, now, this.options.leaseMs);
      if (!claimed) break;
      taken += 1;
      await this.retry(claimed);
    }
    return taken;
  }

  private async retry(parked: ParkedEvent): Promise<void> {
    const log = this.logger.child({
      eventId: parked.eventId,
      route: parked.route,
      retry: parked.retries + 1,
    });
    const event = JSON.parse(parked.body) as EventEnvelope<unknown>;
    const attempt = this.attempts.get(parked.route);
    const { outcome, error } = attempt
      ? await attempt(event, log)
      : { outcome: 'RETRY' as const, error: new Error(`no handler for ${parked.route} here`) };
    if (outcome === 'SUCCESS') {
      await this.collection.deleteOne({ _id: parked._id });
      log.warn('parked event applied on a retry');
      return;
    }
    const retries = parked.retries + 1;
    if (outcome === 'DROP' || retries >= this.options.maxRetries) {
      // The sidecar would dead-letter it now; the same id lets the store keep it once.
      await this.deadLetter(event);
      await this.collection.deleteOne({ _id: parked._id });
      log.error({ err: error }, 'parked event dead-lettered');
      return;
    }
    const delay = Math.min(this.options.firstDelayMs * 2 ** retries, this.options.maxDelayMs);
    await this.collection.updateOne(
      { _id: parked._id },
      { $set: { retries, dueAt: new Date(this.now() + delay), lastError: describeError(error) } },
    );
    log.warn({ err: error, inMs: delay }, 'parked event failed again; retrying later');
  }
}
