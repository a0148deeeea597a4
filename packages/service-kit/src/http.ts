import { randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { measureRequests, metricsHandler } from './metrics';
import { instanceOf, problemHandler, sendProblem } from './problem';

/** The charset parameter of a content type, quoted or not. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/** Paths any caller may reach: probes for the launcher, an orchestrator or a load balancer. */
const PUBLIC_PATHS = new Set(['/livez', '/readyz']);

/**
 * Prometheus metrics of a back-end app, which binds loopback only: operators scrape it there
 * without the app token. A public app (the gateway) does not serve this path at all.
 */
export const METRICS_PATH = '/metrics';

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Refuses any call that does not carry the app API token. The sidecar adds it to everything it
 * forwards (service invocation, pub/sub deliveries), so only the sidecar can reach the app.
 */
export function requireAppToken(token: string, onlyUnder?: readonly string[]): RequestHandler {
  return (req, res, next) => {
    // As a router could match it: in any case, with repeated slashes.
    const path = req.path.toLowerCase().replace(/\/{2,}/g, '/');
    const guarded = onlyUnder
      ? onlyUnder.some((prefix) => path.startsWith(prefix.toLowerCase()))
      : !PUBLIC_PATHS.has(req.path) && req.path !== METRICS_PATH;
    if (!guarded) {
      next();
      return;
    }
    const presented = req.get('dapr-api-token');
    if (presented && safeEqual(presented, token)) {
      next();
      return;
    }
    req.log?.info({ path: req.path }, 'call without app token refused');
    sendProblem(res, {
      status: 401,
      code: 'APP_TOKEN_REQUIRED',
      detail: 'Calls to this service must come through its Dapr sidecar.',
      instance: instanceOf(req),
    });
  };
}

export interface HttpAppOptions {
  logger: Logger;
  /** Every route but the health probes requires this token, or only those under `tokenOnlyUnder`. */
  appApiToken: string;
  /** For a public app (the gateway): the path prefixes only its sidecar may call. */
  tokenOnlyUnder?: readonly string[];
  /** Largest JSON body accepted. */
  bodyLimit?: string;
  /** Requests whose bodies are passed on unread (the gateway's proxied routes). */
  streamBody?: (path: string) => boolean;
}

/**
 * An Express app with request ids, request logging, JSON bodies (CloudEvents included) and the
 * app-token check. Call `finishHttpApp` after adding routes to install the 404 and error handlers.
 */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // `/API/v1` is not `/api/v1`: paths checked by prefix must mean what the routes match.
  app.enable('case sensitive routing');
  app.set('trust proxy', false);
  app.use(
    pinoHttp({
      logger: options.logger,
      // Lines logged through req.log carry the request id, not the whole request again.
      quietReqLogger: true,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'debug'),
      autoLogging: { ignore: (req) => PUBLIC_PATHS.has(req.url ?? '') || req.url === METRICS_PATH },
    }),
  );
  app.use(measureRequests());
  if (!options.tokenOnlyUnder) app.get(METRICS_PATH, metricsHandler());
  app.use(requireAppToken(options.appApiToken, options.tokenOnlyUnder));
  const jsonTypes = ['application/json', 'application/cloudevents+json', 'application/*+json'];
  const parseJson = express.json({ limit: options.bodyLimit ?? '256kb', type: jsonTypes });
  // JSON between systems is UTF-8 (RFC 8259); the parser would also read UTF-16, refusing only
  // character sets not named utf-*, so any other is refused here, alike.
  const json: RequestHandler = (req, res, next) => {
    const charset = CHARSET.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && req.is(jsonTypes)) {
      next(Object.assign(new Error(`unsupported charset "${charset}"`), { type: 'charset.unsupported' }));
      return;
    }
    parseJson(req, res, next);
  };
  const streamBody = options.streamBody;
  app.use(streamBody ? (req, res, next) => (streamBody(req.path) ? next() : json(req, res, next)) : json);
  return app;
}

export function finishHttpApp(app: Express): void {
  app.use((req, res) => {
    // The path a service sees is the gateway's rewrite of the client's: `instance` carries the
    // client's own, and the detail names neither.
    sendProblem(res, {
      status: 404,
      code: 'ROUTE_NOT_FOUND',
      detail: `No ${req.method} route matches this path.`,
      instance: instanceOf(req),
    });
  });
  app.use(problemHandler());
}
