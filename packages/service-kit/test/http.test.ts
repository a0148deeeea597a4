import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import { Router } from 'express';
import pino from 'pino';
import t from 'tap';
import { z } from 'zod';
import {
  AppError,
  answerClientErrors,
  createHttpApp,
  createLogger,
  finishHttpApp,
  parse,
} from '../src/index';
import { serve } from './helpers';

const TOKEN = 'app-token-for-tests-0123456789';

function buildApp(options: { tokenOnlyUnder?: string[] } = {}) {
  const app = createHttpApp({
    logger: createLogger('test', 'silent'),
    appApiToken: TOKEN,
    bodyLimit: '1kb',
    ...options,
  });
  app.get('/livez', (_req, res) => res.json({ status: 'ok' }));
  app.post('/things', (req, res) => {
    const body = parse(z.object({ name: z.string().min(1) }).strict(), req.body, 'body');
    res.status(201).json(body);
  });
  app.get('/conflict', () => {
    throw new AppError('THING_CONFLICT', 409, 'That thing exists.', { thingId: 't1' });
  });
  app.get('/crash', () => {
    throw new Error('secret internal detail');
  });
  app.get('/internal/x', (_req, res) => res.json({ ok: true }));
  app.get('/public', (_req, res) => res.json({ ok: true }));
  finishHttpApp(app);
  return app;
}

const withToken = { 'dapr-api-token': TOKEN, 'content-type': 'application/json' };

t.test('refuses a call without the app token with a problem document', async (t) => {
  const base = await serve(t, buildApp());
  const res = await fetch(`${base}/public`);
  t.equal(res.status, 401);
  t.match(res.headers.get('content-type'), /application\/problem\+json/);
  t.match(await res.json(), { code: 'APP_TOKEN_REQUIRED', status: 401 });
});

t.test('refuses a wrong app token', async (t) => {
  const base = await serve(t, buildApp());
  const res = await fetch(`${base}/public`, { headers: { 'dapr-api-token': `${TOKEN}x` } });
  t.equal(res.status, 401);
});

t.test('lets health probes through without a token', async (t) => {
  const base = await serve(t, buildApp());
  t.equal((await fetch(`${base}/livez`)).status, 200);
});

t.test('a public app guards only the sidecar prefixes', async (t) => {
  const base = await serve(t, buildApp({ tokenOnlyUnder: ['/internal', '/dapr'] }));
  t.equal((await fetch(`${base}/public`)).status, 200);
  t.equal((await fetch(`${base}/internal/x`)).status, 401);
  t.equal((await fetch(`${base}/internal/x`, { headers: withToken })).status, 200);
});

t.test('a sidecar prefix is guarded in any spelling a router could match', async (t) => {
  const app = createHttpApp({
    logger: createLogger('test', 'silent'),
    appApiToken: TOKEN,
    tokenOnlyUnder: ['/internal', '/dapr'],
  });
  // Routers match without regard to case unless told otherwise; the check must not depend on it.
  const router = Router();
  router.post('/dapr/events/thing', (_req, res) => res.json({ status: 'SUCCESS' }));
  app.use(router);
  app.post('/dapr/events/other', (_req, res) => res.json({ status: 'SUCCESS' }));
  finishHttpApp(app);
  const base = await serve(t, app);
  for (const path of [
    '/Dapr/events/thing',
    '/DAPR/events/thing',
    '//dapr/events/thing',
    '/dApR/events/other',
  ]) {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    t.equal(res.status, 401, `${path} needs the app token`);
  }
  const real = await fetch(`${base}/dapr/events/thing`, { method: 'POST', headers: withToken, body: '{}' });
  t.equal(real.status, 200, 'the sidecar itself gets through');
  const cased = await fetch(`${base}/DAPR/events/other`, { method: 'POST', headers: withToken, body: '{}' });
  t.equal(cased.status, 404, 'and routes of the app itself match their case only');
});

t.test('answers schema violations with every problem listed', async (t) => {
  const base = await serve(t, buildApp());
  const res = await fetch(`${base}/things`, {
    method: 'POST',
    headers: withToken,
    body: JSON.stringify({ name: { $gt: '' }, extra: 1 }),
  });
  t.equal(res.status, 400);
  const problem = (await res.json()) as { code: string; errors: { path: string }[] };
  t.equal(problem.code, 'VALIDATION_FAILED');
  t.ok(
    problem.errors.some((e) => e.path === 'body.name'),
    'names the object given for a string',
  );
  t.ok(problem.errors.length >= 2, 'also reports the unexpected field');
});

t.test('answers malformed JSON with MALFORMED_BODY', async (t) => {
  const base = await serve(t, buildApp());
  const res = await fetch(`${base}/things`, { method: 'POST', headers: withToken, body: '{"name":' });
  t.equal(res.status, 400);
  t.equal(((await res.json()) as { code: string }).code, 'MALFORMED_BODY');
});

t.test('answers a body in a character set it cannot read with UNSUPPORTED_CHARSET', async (t) => {
  const base = await serve(t, buildApp());
  for (const charset of ['latin1', 'koi8-r', 'iso-8859-1', 'utf-16le', 'UTF-16', '"utf-32"']) {
    const res = await fetch(`${base}/things`, {
      method: 'POST',
      headers: { ...withToken, 'content-type': `application/json; charset=${charset}` },
      body: '{"name":"x"}',
    });
    t.equal(res.status, 415, charset);
    t.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    t.equal(((await res.json()) as { code: string }).code, 'UNSUPPORTED_CHARSET', charset);
  }
  // The one charset JSON bodies may name is still read, however it is written.
  for (const charset of ['utf-8', 'UTF-8', '"utf-8"']) {
    const res = await fetch(`${base}/things`, {
      method: 'POST',
      headers: { ...withToken, 'content-type': `application/json; charset=${charset}` },
      body: JSON.stringify({ name: 'x' }),
    });
    t.ok(res.status < 300, `${charset} is read`);
  }
});

t.test('answers an oversized body with REQUEST_TOO_LARGE', async (t) => {
  const base = await serve(t, buildApp());
  const res = await fetch(`${base}/things`, {
    method: 'POST',
    headers: withToken,
    body: JSON.stringify({ name: 'x'.repeat(5_000) }),
  });
  t.equal(res.status, 413);
  t.equal(((await res.json()) as { code: string }).code, 'REQUEST_TOO_LARGE');
});

t.test('a fault after the answer went out is logged once, by level, and not printed', async (t) => {
  const lines: { level: number; msg: string; err?: { message: string } }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const app = createHttpApp({ logger, appApiToken: TOKEN });
  // Answered in full, then failed: as a route whose answer another part of the server sent.
  app.get('/answered-then-failed', (_req, res, next) => {
    res.status(408).end('cut', () => next(new Error('the body failed after the answer')));
  });
  // Failed half-way through an answer it was writing.
  app.get('/failed-mid-answer', (_req, res, next) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('part');
    setTimeout(() => next(new Error('failed mid-answer')), 20);
  });
  finishHttpApp(app);
  const base = await serve(t, app);
  const printed: unknown[] = [];
  const print = console.error;
  console.error = (...args: unknown[]) => void printed.push(args);
  t.teardown(() => void (console.error = print));

  const cut = await fetch(`${base}/answered-then-failed`, { headers: { 'dapr-api-token': TOKEN } });
  t.equal(cut.status, 408);
  await cut.text();
  const half = await fetch(`${base}/failed-mid-answer`, { headers: { 'dapr-api-token': TOKEN } });
  await t.rejects(half.text(), 'the half-written answer is cut off, not ended as if whole');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const after = lines.filter((l) => l.msg === 'request failed after its answer began');
  t.same(
    after.map((l) => [l.level, l.err?.message]),
    [
      [30, 'the body failed after the answer'],
      [50, 'failed mid-answer'],
    ],
    'an answer already whole is no fault here (info); one cut short is (error)',
  );
  t.same(printed, [], 'nothing printed to stderr');
});

t.test('a caller that goes away mid-body is logged as abandoned, not as a fault', async (t) => {
  const lines: { level: number; msg: string; code?: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const app = createHttpApp({ logger, appApiToken: TOKEN });
  app.post('/things', (_req, res) => res.status(201).end());
  finishHttpApp(app);
  const base = new URL(await serve(t, app));
  const socket = connect(Number(base.port), base.hostname);
  await once(socket, 'connect');
  socket.write(
    `POST /things HTTP/1.1\r\nhost: x\r\ndapr-api-token: ${TOKEN}\r\n` +
      'content-type: application/json\r\ncontent-length: 100\r\n\r\n{"name":',
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  socket.destroy();
  const deadline = Date.now() + 5_000;
  while (!lines.some((l) => l.code === 'REQUEST_ABANDONED') && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.ok(
    lines.some((l) => l.code === 'REQUEST_ABANDONED' && l.level === 30),
    'one info line says so',
  );
  t.notOk(
    lines.some((l) => l.level >= 50),
    'nothing at error level',
  );
});

t.test('turns a domain error into its code, status and context', async (t) => {
  const base = await serve(t, buildApp());
  const res = await fetch(`${base}/conflict?q=what+the+caller+searched`, { headers: withToken });
  t.equal(res.status, 409);
  const problem = (await res.json()) as Record<string, unknown>;
  t.match(problem, {
    code: 'THING_CONFLICT',
    detail: 'That thing exists.',
    thingId: 't1',
  });
  t.equal(problem.instance, '/conflict', 'the path, without the query');
});

t.test('hides the details of an unexpected error', async (t) => {
  const base = await serve(t, buildApp());
  const res = await fetch(`${base}/crash`, { headers: withToken });
  t.equal(res.status, 500);
  const text = await res.text();
  t.match(text, /"code":"INTERNAL"/);
  t.notMatch(text, /secret internal detail/);
});

t.test('answers an unknown route with ROUTE_NOT_FOUND', async (t) => {
  const base = await serve(t, buildApp());
  const res = await fetch(`${base}/nowhere/deeper?q=1`, { headers: withToken });
  t.equal(res.status, 404);
  const problem = (await res.json()) as { code: string; detail: string; instance: string };
  t.equal(problem.code, 'ROUTE_NOT_FOUND');
  t.equal(problem.instance, '/nowhere/deeper');
  t.equal(problem.detail, 'No GET route matches this path.', 'the detail names no path');
});

t.test('echoes a well-formed request id and replaces a hostile one', async (t) => {
  const base = await serve(t, buildApp());
  const kept = await fetch(`${base}/livez`, { headers: { 'x-request-id': 'abc-123' } });
  t.equal(kept.headers.get('x-request-id'), 'abc-123');
  const replaced = await fetch(`${base}/livez`, { headers: { 'x-request-id': '<script>alert(1)</script>' } });
  t.not(replaced.headers.get('x-request-id'), '<script>alert(1)</script>');
  t.match(replaced.headers.get('x-request-id'), /^[0-9a-f-]{36}$/);
});

t.test('what the HTTP parser refuses is answered with problem+json too', async (t) => {
  const app = buildApp();
  const server = app.listen(0, '127.0.0.1');
  answerClientErrors(server);
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const exchange = async (request: string) => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.end(request);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(socket, 'close');
    const [head = '', body = ''] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n');
    return { head, body: JSON.parse(body) as Record<string, unknown> };
  };

  const huge = await exchange(`GET /livez HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(40_000)}\r\n\r\n`);
  t.match(huge.head, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  t.match(huge.head, /content-type: application\/problem\+json/i);
  t.match(huge.body, { status: 431, code: 'HTTP_HEADERS_TOO_LARGE', title: 'HTTP_HEADERS_TOO_LARGE' });

  const garbage = await exchange('NOT HTTP AT ALL\r\n\r\n');
  t.match(garbage.head, /^HTTP\/1\.1 400 Bad Request\r\n/);
  t.match(garbage.body, {
    status: 400,
    code: 'HTTP_MALFORMED_REQUEST',
    type: 'https://parley.chat/problems/http-malformed-request',
  });

  const res = await fetch(`http://127.0.0.1:${port}/livez`);
  t.equal(res.status, 200, 'the server answers the next request as usual');
});
