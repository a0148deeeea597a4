import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, type Logger, problemType } from '@parley/service-kit';
import { z } from 'zod';

const millis = z.coerce.number().int().positive();

/**
 * How fast a request body must arrive at the gateway. Every service lets a request take 16
 * minutes (an upload on a slow link), which on the public entry point let any client hold a
 * connection, and the part of a body it sent, that long by sending a byte now and then.
 */
export const slowBodySettings = {
  /** Milliseconds a request body other than an upload may take to arrive in full (30 s). */
  REQUEST_BODY_DEADLINE_MS: millis.default(30_000),
  /**
   * Bytes an upload body must deliver in each progress window (16 KiB): a mobile link at its
   * worst (a few KiB a second) sends that in a few seconds, a trickle of a byte now and then never.
   */
  UPLOAD_PROGRESS_MIN_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(16 * 1024),
  /** Milliseconds of an upload's progress window (30 s). */
  UPLOAD_PROGRESS_WINDOW_MS: millis.default(30_000),
};

export type SlowBodySettings = { [K in keyof typeof slowBodySettings]: number };

/** The body a cut request is answered with, when an answer can still be sent. */
const CUT_PROBLEM = {
  type: problemType('REQUEST_BODY_TIMEOUT'),
  title: 'REQUEST_BODY_TIMEOUT',
  status: 408,
  code: 'REQUEST_BODY_TIMEOUT',
  detail: 'The request body arrived too slowly.',
};

/**
 * The upload routes, whose bodies may take as long as the services let a request take (16
 * minutes) as long as they keep moving: a streamed `POST /api/v1/media`. Direct uploads go to
 * storage, not through here. Any other spelling of the path gets the short deadline.
 */
export function isUploadRequest(method: string | undefined, url: string | undefined): boolean {
  const path = (url ?? '').split('?', 1)[0]!.replace(/\/+$/, '');
  return method === 'POST' && path === '/api/v1/media';
}

/**
 * Watches the body of every request the server takes, before any route reads it: a body other
 * than an upload must have arrived in full within REQUEST_BODY_DEADLINE_MS of the request's
 * headers (Node's headers timeout bounds those), an upload must deliver UPLOAD_PROGRESS_MIN_BYTES
 * in every UPLOAD_PROGRESS_WINDOW_MS. A request that fails is cut: answered 408
 * REQUEST_BODY_TIMEOUT if no answer was started, and its connection closed. Closing it ends the
 * forwarded body in an error, so the service behind drops what it received. Call it once Socket.IO
 * is attached: its engine hides the listeners it finds from its own requests (long-polling bodies),
 * while one added after runs ahead of it for every request.
 */
export function guardSlowBodies(server: Server, settings: SlowBodySettings, logger: Logger): void {
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!hasBody(req)) return;
    const upload = isUploadRequest(req.method, req.url);
    const cut = () => {
      stop();
      if (req.complete || req.socket.destroyed) return;
      logger.info({ method: req.method, path: req.url?.split('?', 1)[0], upload }, 'request body too slow');
      cutRequest(req, res);
    };
    let timer: NodeJS.Timeout;
    if (upload) {
      let mark = req.socket.bytesRead;
      timer = setInterval(() => {
        if (req.complete) return stop();
        const now = req.socket.bytesRead;
        const moved = now - mark;
        mark = now;
        // A body the gateway is not reading (the service behind is slow to take it) waits in
        // buffers, and its sender with it: that window is not the client's to answer for.
        if (moved >= settings.UPLOAD_PROGRESS_MIN_BYTES || !reading(req)) return;
        cut();
      }, settings.UPLOAD_PROGRESS_WINDOW_MS);
    } else {
      timer = setTimeout(cut, settings.REQUEST_BODY_DEADLINE_MS);
    }
    timer.unref();
    const stop = () => clearTimeout(timer);
    req.once('end', stop);
    req.once('close', stop);
  });
}

/**
 * Whether the body flows to a reader with nothing waiting: otherwise a window without progress
 * may be the reader's doing. A window that spanned a wait and its end still shows progress, as
 * what the sender wrote meanwhile waited in the connection's buffers, which hold far more than
 * the minimum.
 */
function reading(req: IncomingMessage): boolean {
  return req.readableFlowing === true && req.readableLength === 0 && !req.socket.isPaused();
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return 'transfer-encoding' in req.headers || (length !== undefined && length !== '0');
}

/**
 * Stops the body from reaching whatever reads it, answers if nothing was answered yet, and closes
 * the connection once the answer is out (at once otherwise). The close ends a forwarded body in an
 * error rather than letting its last bytes complete it.
 */
function cutRequest(req: IncomingMessage, res: ServerResponse): void {
  req.unpipe();
  // Destroying the request, not only its socket: an answered request is no longer the socket's
  // to abort, and its readers would wait for an end that never comes.
  if (res.headersSent || res.writableEnded) {
    req.destroy();
    return;
  }
  const body = JSON.stringify(CUT_PROBLEM);
  res.writeHead(408, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body, () => req.destroy());
}
