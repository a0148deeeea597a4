import { type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, Response } from 'express';
import { AppError, ValidationError } from './errors';

/** The RFC 9457 body every service answers errors with. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem types are documented per code; the URI is a stable identifier, not a fetched page. */
export function problemType(code: string): string {
  return `https://parley.chat/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}

export interface ProblemInput {
  status: number;
  code: string;
  title?: string;
  detail?: string;
  instance?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

export function sendProblem(res: Response, problem: ProblemInput): void {
  const body: Problem = { type: problemType(problem.code), title: problem.title ?? problem.code, ...problem };
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/** Turns every error that reaches Express into problem+json. Server faults log at error, client faults at info. */
export function problemHandler(): ErrorRequestHandler {
  // Four parameters, or Express would not take it for an error handler.
  return (err: unknown, req, res, _next) => {
    if (res.headersSent) {
      // Nothing can be told the caller now. An answer already whole (a request the gateway cut for
      // a body too slow, then failing as its body ends) lost nothing; one cut short did, and its
      // connection is closed so the caller sees it end early rather than as complete.
      const whole = res.writableEnded;
      req.log?.[whole ? 'info' : 'error']({ err }, 'request failed after its answer began');
      if (!whole) res.destroy();
      return;
    }
    const instance = instanceOf(req);
    if (err instanceof ValidationError) {
      req.log?.info({ code: err.code, errors: err.errors }, 'request rejected');
      sendProblem(res, {
        status: err.status,
        code: err.code,
        title: 'Invalid request',
        detail: err.message,
        instance,
        errors: err.errors,
      });
      return;
    }
    if (err instanceof AppError) {
      const level = err.status >= 500 ? 'error' : 'info';
      req.log?.[level]({ code: err.code, err: err.status >= 500 ? err : undefined }, 'request failed');
      const { errors: _omit, ...context } = err.context;
      sendProblem(res, { ...context, status: err.status, code: err.code, detail: err.message, instance });
      return;
    }
    const parserError = err as BodyParserError;
    if (parserError?.type === 'request.aborted') {
      // The caller went away while sending the body (a sidecar that gave up on a slow call):
      // nobody is left to answer, and nothing failed here.
      req.log?.info({ code: 'REQUEST_ABANDONED' }, 'request abandoned while its body arrived');
      sendProblem(res, {
        status: 499,
        code: 'REQUEST_ABANDONED',
        detail: 'The caller closed the request before it was answered.',
        instance,
      });
      return;
    }
    if (parserError?.type === 'entity.too.large') {
      sendProblem(res, {
        status: 413,
        code: 'REQUEST_TOO_LARGE',
        detail: 'The request body is larger than this endpoint accepts.',
        instance,
      });
      return;
    }
    if (parserError?.type === 'entity.parse.failed' || parserError?.type === 'encoding.unsupported') {
      sendProblem(res, {
        status: 400,
        code: 'MALFORMED_BODY',
        detail: 'The request body could not be parsed.',
        instance,
      });
      return;
    }
    if (parserError?.type === 'charset.unsupported') {
      // JSON bodies are read as UTF-8 only; a body declared in another character set is the
      // caller's mistake, not a fault here.
      sendProblem(res, {
        status: 415,
        code: 'UNSUPPORTED_CHARSET',
        detail: 'The request body must be UTF-8; its content type names another character set.',
        instance,
      });
      return;
    }
    if (err instanceof URIError) {
      // Express could not decode a percent-escape in the path.
      sendProblem(res, {
        status: 400,
        code: 'PATH_INVALID',
        detail: 'The path holds a malformed percent-escape.',
        instance,
      });
      return;
    }
    req.log?.error({ err }, 'unhandled error');
    sendProblem(res, { status: 500, code: 'INTERNAL', detail: 'An unexpected error occurred.', instance });
  };
}

/** What the HTTP parser refuses before any route sees the request, by the parser's error code. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'HTTP_HEADERS_TOO_LARGE',
    detail: 'The request headers are larger than this server accepts.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'HTTP_REQUEST_TIMEOUT',
    detail: 'The request did not arrive in time.',
  },
};

const MALFORMED = { status: 400, code: 'HTTP_MALFORMED_REQUEST', detail: 'The request is not valid HTTP.' };

/**
 * Answers what the HTTP parser refuses (headers too large, a request line or header it cannot
 * read, a request that came too slowly) with problem+json and a stable code, as every other
 * refusal is answered, instead of Node's bare status line; then closes the connection.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already under way on this connection cannot be followed by another one.
    const busy = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    const refusal = (err.code && CLIENT_ERRORS[err.code]) || MALFORMED;
    const body = JSON.stringify({ type: problemType(refusal.code), title: refusal.code, ...refusal });
    socket.end(
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}

/**
 * The request a problem is about: its path, without the query, which may carry what the caller
 * searched for or a token of a link, and has no place in an error body or the logs.
 */
export function instanceOf(req: { originalUrl: string }): string {
  return req.originalUrl.split('?', 1)[0] ?? req.originalUrl;
}
