import type { Express, Request } from 'express';
import type { z } from 'zod';
import { AppError } from './errors';
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

/**
 * Registers the route a declarative subscription delivers a topic to. Data that fails the schema
 * is dropped (the sidecar moves it to the dead-letter topic); a thrown AppError below 500 is
 * treated the same way; anything else asks the sidecar to redeliver.
 *
 * The route takes one event per request, or, where the subscription turns on `bulkSubscribe`,
 * several: each is handled as a single one would be (all at once, as concurrent deliveries
 * would), and the answer gives each entry its own outcome, so only the failed ones come back.
 */
export function onEvent<S extends z.ZodType>(
  app: Express,
  route: string,
  schema: S,
  handler: (event: EventEnvelope<z.infer<S>>, req: Request) => Promise<void>,
): void {
  const deliver = async (body: unknown, req: Request): Promise<DeliveryOutcome> => {
    const cloudEvent = (typeof body === 'object' && body !== null ? body : {}) as Partial<
      EventEnvelope<unknown>
    >;
    const log = req.log.child({ eventId: cloudEvent.id, topic: cloudEvent.topic });
    const topic = typeof cloudEvent.topic === 'string' ? cloudEvent.topic : route;
    const published = typeof cloudEvent.time === 'string' ? Date.parse(cloudEvent.time) : NaN;
    if (!Number.isNaN(published)) pubsubLag.observe({ topic }, Math.max(0, Date.now() - published) / 1000);
    const outcome = async (): Promise<DeliveryOutcome> => {
      const parsed = schema.safeParse(cloudEvent.data);
      if (!parsed.success || typeof cloudEvent.id !== 'string') {
        log.warn({ issues: parsed.error?.issues }, 'event dropped: malformed');
        return 'DROP';
      }
      try {
        await handler({ ...(cloudEvent as EventEnvelope<unknown>), data: parsed.data }, req);
        return 'SUCCESS';
      } catch (err) {
        const permanent = err instanceof AppError && err.status < 500;
        log[permanent ? 'warn' : 'error'](
          { err },
          permanent ? 'event dropped: rejected' : 'event failed, will retry',
        );
        return permanent ? 'DROP' : 'RETRY';
      }
    };
    const status = await outcome();
    pubsubDeliveries.inc({ topic, outcome: status });
    return status;
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
