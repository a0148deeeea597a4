import type { Express, Request } from 'express';
import type { z } from 'zod';
import { AppError } from './errors';
import type { EventAttempt, EventParking } from './event-parking';
import { pubsubDeliveries, pubsubLag } from './metrics';

/** What a subscriber tells the sidecar: applied, try again later, or never (dead-letter it). */
export type DeliveryOutcome = 'SUCCESS' | 'RETRY' | 'DROP';

export interface EventEnvelope<T> {
  id: string;
  topic: string;
  source: string;
  type?: string;
  time?: string;
  data: T;
}

/** One event of a bulk delivery (a subscription with `bulkSubscribe`), as the sidecar sends it. */
interface BulkEntry {
  entryId?: unknown;
  event?: unknown;
}

/** Whether a request body is a bulk delivery: the sidecar's envelope with its list of entries. */
function bulkEntries(body: unknown): BulkEntry[] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const entries = (body as { entries?: unknown }).entries;
  return Array.isArray(entries) ? (entries as BulkEntry[]) : undefined;
}

/** An entry's event is the CloudEvent as an object, or as JSON text when sent as bytes. */
function entryEvent(entry: BulkEntry): unknown {
  if (typeof entry.event !== 'string') return entry.event;
  try {
    return JSON.parse(entry.event) as unknown;
  } catch {
    return undefined;
  }
}

export interface OnEventOptions {
  /**
   * Keeps a failed event for a later retry by this service and answers SUCCESS, instead of asking
   * the sidecar to redeliver it; an event that cannot be kept is still answered RETRY.
   */
  parking?: EventParking;
}

/**
 * Registers the route a declarative subscription delivers a topic to. Data that fails the schema
 * is dropped (the sidecar moves it to the dead-letter topic); a thrown AppError below 500 is
 * treated the same way; anything else asks the sidecar to redeliver, or, with `parking`, is
 * kept and retried by the service itself.
 *
 * The route takes one event per request, or, where the subscription turns on `bulkSubscribe`,
 * several: each is handled as a single one would be (all at once, as concurrent deliveries
 * would), and the answer gives each entry its own outcome, so only the failed ones come back.
 */
export function onEvent<S extends z.ZodType>(
  app: Express,
  route: string,
  schema: S,
  handler: (event: EventEnvelope<z.infer<S>>) => Promise<void>,
  options: OnEventOptions = {},
): void {
  const { parking } = options;
  /** Validates and applies one event; how it went, and what went wrong. */
  const attempt: EventAttempt = async (body, log) => {
    const cloudEvent = (typeof body === 'object' && body !== null ? body : {}) as Partial<
      EventEnvelope<unknown>
    >;
    const parsed = schema.safeParse(cloudEvent.data);
    if (!parsed.success || typeof cloudEvent.id !== 'string') {
      log.warn({ issues: parsed.error?.issues }, 'event dropped: malformed');
      return { outcome: 'DROP' };
    }
    try {
      await handler({ ...(cloudEvent as EventEnvelope<unknown>), data: parsed.data });
      return { outcome: 'SUCCESS' };
    } catch (error) {
      const permanent = error instanceof AppError && error.status < 500;
      if (permanent) log.warn({ err: error }, 'event dropped: rejected');
      return { outcome: permanent ? 'DROP' : 'RETRY', error };
    }
  };
  parking?.register(route, attempt);

  const deliver = async (body: unknown, req: Request): Promise<DeliveryOutcome> => {
    const cloudEvent = (typeof body === 'object' && body !== null ? body : {}) as Partial<
      EventEnvelope<unknown>
    >;
    const log = req.log.child({ eventId: cloudEvent.id, topic: cloudEvent.topic });
    const topic = typeof cloudEvent.topic === 'string' ? cloudEvent.topic : route;
    const published = typeof cloudEvent.time === 'string' ? Date.parse(cloudEvent.time) : NaN;
    if (!Number.isNaN(published)) pubsubLag.observe({ topic }, Math.max(0, Date.now() - published) / 1000);
    const { outcome: first, error } = await attempt(body, log);
    let outcome = first;
    if (outcome === 'RETRY' && parking) {
      try {
        await parking.park(route, cloudEvent as EventEnvelope<unknown>, error);
        log.error({ err: error }, 'event failed, kept for a retry');
        outcome = 'SUCCESS';
      } catch (parkError) {
        log.error({ err: error, parkError }, 'event failed and could not be kept, will be redelivered');
      }
    } else if (outcome === 'RETRY') {
      log.error({ err: error }, 'event failed, will retry');
    }
    pubsubDeliveries.inc({ topic, outcome });
    return outcome;
  };

  app.post(route, async (req, res) => {
    const entries = bulkEntries(req.body);
    if (!entries) {
      res.json({ status: await deliver(req.body, req) });
      return;
    }
    const statuses = await Promise.all(
      entries.map(async (entry) => ({
        entryId: String(entry.entryId ?? ''),
        status: await deliver(entryEvent(entry), req),
      })),
    );
    res.json({ statuses });
  });
}

/**
 * A route that only acknowledges what it is sent, one event or a bulk delivery: where a
 * subscription's routing rule sends the events a service has nothing to do with.
 */
export function acknowledgeEvents(app: Express, route: string): void {
  app.post(route, (req, res) => {
    const entries = bulkEntries(req.body);
    if (!entries) {
      res.json({ status: 'SUCCESS' });
      return;
    }
    res.json({
      statuses: entries.map((entry) => ({ entryId: String(entry.entryId ?? ''), status: 'SUCCESS' })),
    });
  });
}
