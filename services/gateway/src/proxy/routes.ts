import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { type BackendService, DECLARED_LENGTH_HEADER } from '@parley/contracts';
import {
  AppError,
  DependencyError,
  PROBLEM_CONTENT_TYPE,
  type Sidecar,
  UnauthorizedError,
  instanceOf,
  isSidecarError,
} from '@parley/service-kit';
import { type Request, Router } from 'express';
// Declares the body the rate limits read ahead (`req.bufferedBody`), forwarded as read.
import type {} from '../rate-limits/buffered-body';
import { closeAfterEarlyAnswer } from './early-answer';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by a middleware to act on the upstream status before the client sees the answer. */
    beforeRespond?: (status: number) => Promise<void>;
  }
}

/**
 * Which service owns each top-level REST resource. `/api/v1/<resource>/...` is forwarded through
 * the sidecars to `/v1/<resource>/...` of the owner.
 */
export const RESOURCE_OWNERS: Readonly<Record<string, BackendService>> = Object.freeze({
  accounts: 'auth',
  sessions: 'auth',
  users: 'auth',
  contacts: 'auth',
  conversations: 'chat',
  messages: 'chat',
  notifications: 'notification',
  invites: 'notification',
  media: 'media',
  search: 'search',
  analytics: 'analytics',
});

/** Methods the API takes; others (TRACE, PROPFIND, CONNECT...) are refused here. */
const FORWARDED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Request headers passed on; everything else (cookies but the login one, hop-by-hop headers, tokens
 * for Dapr) stays here.
 */
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'authorization',
  'content-type',
  'content-length',
  'if-match',
  'if-none-match',
  // Twilio signs its status callbacks; the notification service checks the signature.
  'x-twilio-signature',
];
/** Response headers passed back. */
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'location',
  'etag',
  'retry-after',
  'cache-control',
  // Files served through (media content) keep what stops a browser rendering or sniffing them.
  'content-disposition',
  'x-content-type-options',
  'content-security-policy',
];

/** True for the paths the proxy forwards, whose bodies the gateway must not read. */
export function isProxiedPath(path: string): boolean {
  const resource = /^\/api\/v1\/([^/]+)/.exec(path)?.[1];
  return resource !== undefined && Object.hasOwn(RESOURCE_OWNERS, resource);
}

export function proxyRoutes(sidecar: Sidecar): Router {
  const router = Router();
  router.all('/:resource{/*rest}', async (req, res, next) => {
    const resource = req.params.resource as string;
    // Only as written out: `session%73` decodes to a resource, but the body was read as if it
    // named none (see isProxiedPath), and would be forwarded empty.
    const written = req.url.split('?', 1)[0]!.split('/')[1];
    if (written !== resource || !Object.hasOwn(RESOURCE_OWNERS, resource)) {
      next();
      return;
    }
    if (!FORWARDED_METHODS.has(req.method)) {
      res.setHeader('allow', [...FORWARDED_METHODS].join(', '));
      throw new AppError('METHOD_NOT_ALLOWED', 405, `The API does not take ${req.method} requests.`);
    }
    const owner = RESOURCE_OWNERS[resource] as BackendService;
    // One latency series per resource, not one for the whole proxy (see measureRequests).
    res.locals.metricsRoute = `${req.baseUrl}/${resource}`;
    const headers = forwardedHeaders(req);
    // A body the gateway already read (to apply rate limits) is sent as read.
    let body: RequestInit['body'] = req.bufferedBody;
    if (body === undefined && hasBody(req)) {
      const streamed = streamedBody(req);
      await streamed.started;
      // Cut meanwhile (too slow: answered 408), or left: there is nothing to forward.
      if (res.headersSent || (req.destroyed && !req.complete)) return;
      body = streamed.body;
    }
    const upstream = await sidecar.forward(owner, `v1${req.url}`, {
      method: req.method,
      headers,
      body,
      // A redirect (such as to an OpenID provider) is for the client to follow, not the gateway.
      redirect: 'manual',
      // Node's fetch needs this to send a streamed body.
      ...({ duplex: 'half' } as object),
    });
    // An answer that came before the whole body (an upload refused at its size limit) ends the
    // request: what the client still sends is dropped, so the answer reaches it intact, and the
    // connection is not reused, since the end of that body is not awaited.
    if (!req.complete) closeAfterEarlyAnswer(req, res);
    // Every service answers its errors as problem+json; any other error body is the sidecar's own
    // (the service is down or unreachable), which is ours to explain, not to pass on.
    let errorText: string | undefined;
    if (upstream.status >= 400) {
      errorText = await upstream.text();
      if (upstream.headers.get('content-type')?.startsWith(PROBLEM_CONTENT_TYPE)) {
        errorText = withInstance(errorText, instanceOf(req));
      } else if (isSidecarError(parseJson(errorText))) {
        throw new DependencyError(owner, `The ${owner} service cannot be reached right now; try again.`);
      }
    }
    res.status(upstream.status);
    await req.beforeRespond?.(upstream.status);
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = upstream.headers.get(name);
      // An error body may be rewritten here, so its length is counted again when it is sent.
      if (value !== null && !(errorText !== undefined && name === 'content-length'))
        res.setHeader(name, value);
    }
    if (isOidcLogin(req)) {
      const cookies = upstream.headers.getSetCookie().filter((c) => c.startsWith(`${OIDC_BROWSER_COOKIE}=`));
      if (cookies.length > 0) res.setHeader('set-cookie', cookies);
    }
    if (errorText !== undefined || !upstream.body) {
      res.end(errorText);
      return;
    }
    Readable.fromWeb(upstream.body as WebReadableStream).pipe(res);
  });
  return router;
}

/** Printable ASCII and tabs: what a header may carry between sidecars (gRPC metadata). */
const PLAIN_HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * The headers passed on. A value with other bytes (HTTP allows Latin-1) is refused here: the
 * sidecars carry headers as gRPC metadata, which refuses it, and the sidecar's retries then end in
 * a 503 that blames the service. A token with such bytes is no token.
 */
function forwardedHeaders(req: Request): Record<string, string> {
  const headers: Record<string, string> = { 'x-request-id': String(req.id) };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = req.headers[name];
    if (typeof value !== 'string') continue;
    if (!PLAIN_HEADER_VALUE.test(value)) {
      if (name === 'authorization') {
        throw new UnauthorizedError('AUTH_TOKEN_INVALID', 'The access token is not valid.');
      }
      throw new AppError(
        'HEADER_INVALID',
        400,
        `The ${name} header holds characters other than printable ASCII.`,
      );
    }
    headers[name] = value;
  }
  // The sidecars may forward a body chunked, its length dropped (an empty one always): it goes on
  // in a header of ours, so the service can hold what the body will take (the media quota).
  const declared = req.headers['content-length'];
  if (declared !== undefined && req.bufferedBody === undefined) headers[DECLARED_LENGTH_HEADER] = declared;
  if (isOidcLogin(req)) {
    const cookie = oidcCookie(req.headers.cookie);
    if (cookie) headers.cookie = cookie;
  }
  return headers;
}

/**
 * The one cookie the platform uses: it binds a third-party login to the browser that started it.
 * It passes only on the OpenID Connect routes, and only it passes; every other cookie stays here.
 */
const OIDC_BROWSER_COOKIE = 'parley_oidc';

function isOidcLogin(req: Request): boolean {
  return req.path.startsWith('/sessions/oidc/');
}

function oidcCookie(header: string | undefined): string | undefined {
  return (header ?? '')
    .split(';')
    .map((pair) => pair.trim())
    .find((pair) => pair.startsWith(`${OIDC_BROWSER_COOKIE}=`));
}

/**
 * The request body as a web stream, through a stream of ours: when fetch stops reading it (the
 * answer came first) only that stream is destroyed, not the client's connection, which a reset
 * would cut before the answer is read.
 *
 * `started` settles once the body's first bytes, its end or its failure came, and only then is
 * the call forwarded: fetch sends a request's headers with the first bytes of its body, and the
 * sidecar drops a connection that brings no request within 10 s. A client that declared a body
 * and sent none of it could so be answered 503, blaming the service (seen with media refusing an
 * upload early, for its hourly limit). The body is read meanwhile, so the slow-body guard answers
 * such a client 408, as any stalled one.
 */
function streamedBody(req: Request): { body: ReadableStream; started: Promise<void> } {
  let start!: () => void;
  const started = new Promise<void>((resolve) => (start = resolve));
  const body = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      start();
      callback(null, chunk);
    },
    flush(callback) {
      start();
      callback();
    },
  });
  body.once('close', start);
  // A client that goes away mid-body fails the forwarded request rather than leaving it waiting.
  req.once('close', () => {
    if (!req.complete) body.destroy(new Error('the client closed the request before its end'));
  });
  return { body: Readable.toWeb(req.pipe(body)) as ReadableStream, started };
}

function hasBody(req: Request): boolean {
  return (
    req.method !== 'GET' &&
    req.method !== 'HEAD' &&
    (req.headers['content-length'] !== '0' || 'transfer-encoding' in req.headers)
  );
}

/**
 * A service's problem names the request as the service saw it (`/v1/...`); the client asked for
 * `/api/v1/...`, and a problem's `instance` is the client's to look up, so it names that (its
 * path, as every problem does) instead.
 */
function withInstance(text: string, instance: string): string {
  const problem = parseJson(text);
  if (typeof problem !== 'object' || problem === null || Array.isArray(problem)) return text;
  return JSON.stringify({ ...problem, instance });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
