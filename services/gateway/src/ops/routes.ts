import { randomUUID } from 'node:crypto';
import { BACKEND_SERVICES, type PlatformProbeEvent, Topics } from '@parley/contracts';
import {
  type Sidecar,
  metricsHandler,
  noQuery,
  parse,
  requirePlainPath,
  takesNoInput,
} from '@parley/service-kit';
import { Router } from 'express';
import { z } from 'zod';
import { requireOpsToken } from './ops-auth';

const probeParams = z.object({ probeId: z.uuid() }).strict();
/** Auth checks usernames fully; this keeps anything that is not one out of the path it calls. */
const userParams = z.object({ username: z.string().regex(/^[A-Za-z0-9_.]{3,32}$/) }).strict();
/**
 * The shape of a roles change. Which roles exist is auth's to say (it refuses any other); this keeps
 * what is forwarded to the list it reads and nothing beside it.
 */
const rolesBody = z.object({ roles: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/)).max(16) }).strict();

/**
 * Operator endpoints. `status` asks every service for its readiness through service invocation;
 * a probe is an end-to-end self-test: an event published through the gateway's sidecar, received
 * and stored by every service through its own, reported back through invocation, plus a workflow
 * the notification service starts and the worker completes.
 */
export function opsRoutes(sidecar: Sidecar, opsToken: string): Router {
  const router = Router();
  router.use(requireOpsToken(opsToken));
  // The same refusal a proxied path meets for a dot segment or a backslash, rather than the
  // different answer each route would give once Express has decoded it.
  router.use((req, _res, next) => {
    requirePlainPath(req.originalUrl);
    next();
  });

  // The gateway's own Prometheus metrics; it is reachable by users, so only with the operator token.
  router.get('/metrics', takesNoInput(), metricsHandler());

  router.get('/status', takesNoInput(), async (_req, res) => {
    const entries = await Promise.all(
      BACKEND_SERVICES.map(async (service) => {
        try {
          const result = await sidecar.invoke(service, 'readyz', { signal: AbortSignal.timeout(5_000) });
          return [service, { ready: result.status === 200, report: result.body }] as const;
        } catch (err) {
          return [
            service,
            { ready: false, error: err instanceof Error ? err.message : String(err) },
          ] as const;
        }
      }),
    );
    const services = Object.fromEntries(entries);
    const ready = entries.every(([, entry]) => entry.ready);
    res.status(ready ? 200 : 503).json({ ready, services });
  });

  router.post('/probes', takesNoInput(), async (req, res) => {
    const event: PlatformProbeEvent = { probeId: randomUUID(), requestedAt: new Date().toISOString() };
    await sidecar.publish(Topics.platformProbe, event, `probe-${event.probeId}`);
    req.log.info({ probeId: event.probeId }, 'probe published');
    res.status(202).location(`${req.baseUrl}/probes/${event.probeId}`).json(event);
  });

  router.get('/probes/:probeId', takesNoInput(), async (req, res) => {
    const { probeId } = parse(probeParams, req.params, 'params');
    const entries = await Promise.all(
      BACKEND_SERVICES.map(async (service) => {
        const result = await sidecar.invoke<Record<string, unknown>>(
          service,
          `internal/v1/probes/${probeId}`,
          {
            signal: AbortSignal.timeout(5_000),
          },
        );
        return [
          service,
          { received: result.status === 200, ...(result.status === 200 ? result.body : {}) },
        ] as const;
      }),
    );
    const services = Object.fromEntries(entries);
    const workflow = (services.notification as { workflow?: { status?: string } }).workflow;
    const complete = entries.every(([, entry]) => entry.received) && workflow?.status === 'COMPLETED';
    res.json({ probeId, complete, services });
  });

  // Grants or withdraws roles (such as admin); they reach the user's tokens at the next refresh.
  router.put('/users/:username/roles', async (req, res) => {
    const { username } = parse(userParams, req.params, 'params');
    parse(noQuery, req.query, 'query');
    const { roles } = parse(rolesBody, req.body, 'body');
    res.json(
      await sidecar.invokeOk('auth', `internal/v1/users/by-username/${username}/roles`, {
        method: 'PUT',
        body: { roles },
        signal: AbortSignal.timeout(5_000),
      }),
    );
  });

  router.get('/dead-letters', takesNoInput(), async (_req, res) => {
    res.json(
      await sidecar.invokeOk('analytics', 'internal/v1/dead-letters', { signal: AbortSignal.timeout(5_000) }),
    );
  });

  return router;
}
