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

/**
 * Registers the route a declarative subscription delivers a topic to. Data that fails the schema
 * is dropped (the sidecar moves it to the dead-letter topic); a thrown AppError below 500 is
 * treated the same way; anything else asks the sidecar to redeliver.
 */
export function onEvent<S extends z.ZodType>(
  app: Express,
  route: string,
  schema: S,
  handler: (event: EventEnvelope<z.infer<S>>, req: Request) => Promise<void>,
): void {
  app.post(route, async (req, res) => {
    const cloudEvent = (req.body ?? {}) as Partial<EventEnvelope<unknown>>;
    const log = req.log.child({ eventId: cloudEvent.id, topic: cloudEvent.topic });
    const topic = typeof cloudEvent.topic === 'string' ? cloudEvent.topic : route;
    const published = typeof cloudEvent.time === 'string' ? Date.parse(cloudEvent.time) : NaN;
    if (!Number.isNaN(published)) pubsubLag.observe({ topic }, Math.max(0, Date.now() - published) / 1000);
    const answer = (status: DeliveryOutcome) => {
      pubsubDeliveries.inc({ topic, outcome: status });
      res.json({ status });
    };
    const parsed = schema.safeParse(cloudEvent.data);
    if (!parsed.success || typeof cloudEvent.id !== 'string') {
      log.warn({ issues: parsed.error?.issues }, 'event dropped: malformed');
      answer('DROP');
      return;
    }
    try {
      await handler({ ...(cloudEvent as EventEnvelope<unknown>), data: parsed.data }, req);
      answer('SUCCESS');
    } catch (err) {
      const permanent = err instanceof AppError && err.status < 500;
      log[permanent ? 'warn' : 'error'](
        { err },
        permanent ? 'event dropped: rejected' : 'event failed, will retry',
      );
      answer(permanent ? 'DROP' : 'RETRY');
    }
  });
}
