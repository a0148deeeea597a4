import { type PlatformProbeEvent, platformProbeEvent } from '@parley/contracts';
import type { Express } from 'express';
import { z } from 'zod';
import type { Sidecar } from './dapr';
import { NotFoundError } from './errors';
import { onEvent } from './events';
import { takesNoInput } from './no-input';
import { parse } from './validate';

/** The route the `platform.probe` subscription delivers to, the same in every back-end service. */
export const PROBE_EVENT_ROUTE = '/dapr/events/platform-probe';

const PROBE_TTL_SECONDS = 24 * 60 * 60;

export interface ProbeHooks {
  /** Extra work a service proves on a probe (the notification service starts a workflow). */
  onProbe?: (event: PlatformProbeEvent) => Promise<void>;
  /** Extra facts a service reports about a probe it received. */
  describe?: (probeId: string) => Promise<Record<string, unknown>>;
}

/**
 * The operator self-test, as each back-end service takes part in it: it records a received probe
 * event in the Dapr state store, and reports it when the gateway asks through service invocation.
 * Together these exercise pub/sub, state and invocation through real sidecars.
 */
export function mountProbe(app: Express, service: string, sidecar: Sidecar, hooks: ProbeHooks = {}): void {
  onEvent(app, PROBE_EVENT_ROUTE, platformProbeEvent, async ({ data }) => {
    await hooks.onProbe?.(data);
    const record = { service, probeId: data.probeId, receivedAt: new Date().toISOString() };
    await sidecar.saveState(`probe:${data.probeId}`, record, PROBE_TTL_SECONDS);
  });

  app.get('/internal/v1/probes/:probeId', takesNoInput(), async (req, res) => {
    const { probeId } = parse(z.object({ probeId: z.uuid() }).strict(), req.params, 'params');
    const record = await sidecar.getState<Record<string, unknown>>(`probe:${probeId}`);
    if (!record)
      throw new NotFoundError('PROBE_NOT_RECEIVED', `${service} has not received probe ${probeId}.`);
    res.json({ ...record, ...(await hooks.describe?.(probeId)) });
  });
}
