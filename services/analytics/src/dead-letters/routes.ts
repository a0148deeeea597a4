import { type EventEnvelope, onEvent, takesNoInput } from '@parley/service-kit';
import type { Express } from 'express';
import { z } from 'zod';
import { type DeadLetterStore, MAX_PAYLOAD } from './store';

export const DEAD_LETTER_ROUTE = '/dapr/events/dead-letter';

/**
 * Records every dead-lettered event (whatever its payload) and lists them for the gateway's
 * operator endpoint.
 */
export function mountDeadLetters(app: Express, store: DeadLetterStore): void {
  onEvent(app, DEAD_LETTER_ROUTE, z.unknown(), async (event: EventEnvelope<unknown>) => {
    await store.record({
      eventId: event.id,
      source: event.source,
      type: event.type,
      payload: (JSON.stringify(event.data) ?? 'null').slice(0, MAX_PAYLOAD),
      receivedAt: new Date(),
    });
  });

  app.get('/internal/v1/dead-letters', takesNoInput(), async (_req, res) => {
    res.json({ deadLetters: await store.list() });
  });
}
