import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics, served at `/metrics` (see `createHttpApp`). Every series
 * carries a `service` label set by `runService`. Besides Node's own process metrics:
 *
 * | metric                                    | labels                   | what                                      |
 * | ----------------------------------------- | ------------------------ | ----------------------------------------- |
 * | `http_request_duration_seconds`           | method, route, status    | time to answer each HTTP request          |
 * | `pubsub_deliveries_total`                 | topic, outcome           | events handled: SUCCESS, RETRY or DROP    |
 * | `pubsub_delivery_lag_seconds`             | topic                    | from the event's publication to handling  |
 * | `socket_connections`                      | (none)                   | open real-time connections (gateway)      |
 * | `socket_events_total`                     | event, direction         | real-time events in and out (gateway)     |
 * | `temporal_workflow_outcomes_total`        | workflow, outcome        | workflows completed, failed, cancelled    |
 * | `temporal_activity_outcomes_total`        | activity, outcome        | activity attempts that completed or failed |
 */
export const metricsRegistry = new Registry();

collectDefaultMetrics({ register: metricsRegistry });

export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by route template and status.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

export const pubsubDeliveries = new Counter({
  name: 'pubsub_deliveries_total',
  help: 'Pub/sub events handled, by topic and the outcome answered to the sidecar.',
  labelNames: ['topic', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const pubsubLag = new Histogram({
  name: 'pubsub_delivery_lag_seconds',
  help: "Time from an event's publication (its CloudEvent time) to its handling here.",
  labelNames: ['topic'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
  registers: [metricsRegistry],
});

/**
 * For the gateway's real-time layer: `socketConnections.inc()` on connect and `.dec()` on
 * disconnect; `socketEvents.inc({ event, direction: 'in' | 'out' })` per event.
 */
export const socketConnections = new Gauge({
  name: 'socket_connections',
  help: 'Open real-time (Socket.IO) connections.',
  registers: [metricsRegistry],
});

export const socketEvents = new Counter({
  name: 'socket_events_total',
  help: 'Real-time events received (in) and emitted (out), by event name.',
  labelNames: ['event', 'direction'] as const,
  registers: [metricsRegistry],
});

export const workflowOutcomes = new Counter({
  name: 'temporal_workflow_outcomes_total',
  help: 'Workflow executions this worker finished, by workflow type and outcome.',
  labelNames: ['workflow', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const activityOutcomes = new Counter({
  name: 'temporal_activity_outcomes_total',
  help: 'Activity attempts this worker ran, by activity type and outcome.',
  labelNames: ['activity', 'outcome'] as const,
  registers: [metricsRegistry],
});

/** Names the service on every series. */
export function setMetricsService(service: string): void {
  metricsRegistry.setDefaultLabels({ service });
}

/** Paths not worth a latency series: probes and the scrape itself. */
const UNMEASURED = new Set(['/livez', '/readyz', '/metrics']);

/**
 * Observes each request's duration under its route template (`/v1/messages/:messageId`), never
 * the raw path, so ids do not multiply the series; a request no route matched is `unmatched`.
 * A handler may name its route in `res.locals.metricsRoute` (the gateway's proxy names the
 * resource it forwarded to); a router mounted under a path with parameters names its mount
 * template with `metricsMount`, since Express gives only the matched path (ids and all).
 */
export function measureRequests(): RequestHandler {
  return (req, res, next) => {
    if (UNMEASURED.has(req.path)) {
      next();
      return;
    }
    const end = httpRequestDuration.startTimer({ method: req.method });
    res.once('finish', () => {
      const named: unknown = res.locals.metricsRoute;
      const route = req.route?.path;
      const mount: unknown = res.locals.metricsMount;
      const base = typeof mount === 'string' ? mount : req.baseUrl;
      const label = typeof route === 'string' ? `${base}${route}` : 'unmatched';
      end({
        route: typeof named === 'string' ? named : label,
        status: String(res.statusCode),
      });
    });
    next();
  };
}

/**
 * Names the template a router is mounted under (`/internal/v1/users/:userId`) for the route
 * label of the requests it answers, instead of the matched path with its ids.
 */
export function metricsMount(template: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.metricsMount = template;
    next();
  };
}

/** Answers a Prometheus scrape. */
export function metricsHandler(): RequestHandler {
  return async (_req, res) => {
    res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  };
}
