import { setMaxListeners } from 'node:events';
import type { Response } from 'express';
import { RequestAbandonedError } from './errors';

/**
 * A signal that aborts when the response closes before it was sent in full: the caller (or the
 * sidecar between) gave up. Work that has not started yet can check it and skip itself; a caller
 * that gave up retries, so the work would otherwise be done twice while the resource is busiest.
 */
export function abandonedSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  // One request may carry many pieces of work (a batch of sends), each listening to the signal;
  // they end with the request, so their number is no sign of a leak.
  setMaxListeners(0, controller.signal);
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new RequestAbandonedError());
  });
  return controller.signal;
}
