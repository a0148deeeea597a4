import { type ClientRequest, request } from 'node:http';
import type { TokenVerifier } from '@parley/identity';
import { UnauthorizedError, problemHandler } from '@parley/service-kit';
import express from 'express';
import t from 'tap';
import { refuseUnfitUpload } from '../src/proxy/upload-checks';
import { onLoopback } from './loopback';

const verifier: TokenVerifier = {
  async verify(token) {
    if (token !== 'good') throw new UnauthorizedError('AUTH_TOKEN_INVALID', 'The access token is not valid.');
    return { userId: 'u1', sessionId: 's1', roles: [] };
  },
};

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Whether the answer came while the client had not finished its body. */
  beforeBodyEnd: boolean;
}

/** Clients whose request reached the handler behind the checks, with how to finish their body. */
const pending = new Map<ClientRequest, () => void>();

/**
 * Declares `declared` bytes, sends `sent` of them and stalls. The rest is sent only once the
 * request reaches the handler behind the checks (which, as the proxy does, answers after the
 * body), so a request the checks let through is answered after its body, one they refuse before.
 */
function stalledUpload(
  port: number,
  path: string,
  options: { declared: number; sent: number; headers?: Record<string, string> },
) {
  return new Promise<Answer>((resolve, reject) => {
    let bodyEnded = false;
    const client = request({
      port,
      host: '127.0.0.1',
      path,
      method: 'POST',
      headers: { 'content-length': String(options.declared), ...options.headers },
    });
    pending.set(client, () => {
      bodyEnded = true;
      client.end(Buffer.alloc(options.declared - options.sent));
    });
    client.on('response', (res) => {
      const beforeBodyEnd = !bodyEnded;
      pending.delete(client);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => (body += part));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, beforeBodyEnd }),
      );
    });
    client.on('error', reject);
    client.write(Buffer.alloc(options.sent, 0x61));
  });
}

t.test('a streamed upload the gateway would refuse is answered before its body', async (t) => {
  const app = express();
  const reached: string[] = [];
  app.use('/api/v1', refuseUnfitUpload(verifier), (req, res) => {
    reached.push(req.url);
    // Stands in for the proxy: the answer comes once the whole body has arrived.
    req.resume();
    req.once('end', () => res.status(201).json({ ok: true }));
    for (const finish of pending.values()) finish();
    pending.clear();
  });
  app.use(problemHandler());
  const port = await onLoopback(t, app);
  const upload = (path: string, options: Parameters<typeof stalledUpload>[2]) =>
    stalledUpload(port, path, options);
  const MIB = 1024 * 1024;

  const refusals: [string, string, Parameters<typeof stalledUpload>[2], number, string][] = [
    ['no token', '/api/v1/media?fileName=a.bin', { declared: MIB, sent: 1000 }, 401, 'AUTH_TOKEN_MISSING'],
    [
      'no token, 50 MiB declared and 1 MiB sent',
      '/api/v1/media?fileName=a.bin',
      { declared: 50 * MIB, sent: MIB },
      401,
      'AUTH_TOKEN_MISSING',
    ],
    [
      'a token that does not verify',
      '/api/v1/media?fileName=a.bin',
      { declared: MIB, sent: 1000, headers: { authorization: 'Bearer forged' } },
      401,
      'AUTH_TOKEN_INVALID',
    ],
    [
      'a path for a name',
      '/api/v1/media?fileName=..',
      { declared: MIB, sent: 0, headers: { authorization: 'Bearer good' } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'no name',
      '/api/v1/media/',
      { declared: MIB, sent: 0, headers: { authorization: 'Bearer good' } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'an unknown query key',
      '/api/v1/media?fileName=a.bin&owner=u2',
      { declared: MIB, sent: 0, headers: { authorization: 'Bearer good' } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'a content type that is no media type',
      '/api/v1/media?fileName=a.bin',
      { declared: MIB, sent: 10, headers: { authorization: 'Bearer good', 'content-type': 'not a type' } },
      400,
      'VALIDATION_FAILED',
    ],
  ];
  for (const [what, path, options, status, code] of refusals) {
    const answer = await upload(path, options);
    t.equal(answer.status, status, `${what}: refused`);
    t.equal((JSON.parse(answer.body) as { code: string }).code, code, `${what}: says why`);
    t.ok(answer.beforeBodyEnd, `${what}: answered before the body ended`);
    t.match(answer.headers['content-type'], /^application\/problem\+json/);
  }
  t.same(reached, [], 'no refused upload went on');

  const fit = await upload('/api/v1/media?fileName=a.bin', {
    declared: 2000,
    sent: 1000,
    headers: { authorization: 'Bearer good', 'content-type': 'image/png' },
  });
  t.equal(fit.status, 201, 'an upload that passes goes on');
  t.notOk(fit.beforeBodyEnd, 'and is answered after its body, by the service');

  const other = await upload('/api/v1/media/uploads', { declared: 10, sent: 0 });
  t.equal(other.status, 201, 'other routes are the services’ to judge');
  t.equal(reached.length, 2);
});

/** Sends a body that never ends, as fast as the connection takes it; rejects on a reset before any answer. */
function endlessUpload(port: number) {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return new Promise<{ status: number; ended: boolean }>((resolve, reject) => {
    const client = request({
      port,
      host: '127.0.0.1',
      path: '/api/v1/media?fileName=a.bin',
      method: 'POST',
      headers: { 'content-length': String(1024 * 1024 * 1024) },
    });
    let answered = false;
    const pump = () => {
      while (!answered) if (!client.write(chunk)) return void client.once('drain', pump);
    };
    client.on('response', (res) => {
      answered = true;
      res.resume();
      res.on('end', () => {
        const ended = () => resolve({ status: res.statusCode ?? 0, ended: true });
        if (!client.socket || client.socket.readableEnded) return ended();
        client.socket.once('end', ended);
        client.socket.once('close', ended);
      });
    });
    client.on('error', (err) => {
      if (!answered) reject(err);
    });
    pump();
  });
}

t.test('the refusal reaches a client that keeps sending, and its connection ends', async (t) => {
  const app = express();
  app.use('/api/v1', refuseUnfitUpload(verifier), (_req, res) => void res.status(500).end());
  app.use(problemHandler());
  const port = await onLoopback(t, app);
  for (let i = 0; i < 20; i++) {
    const answer = await endlessUpload(port);
    t.equal(answer.status, 401, `attempt ${i + 1}: the refusal arrived`);
    t.ok(answer.ended, 'and the connection ended after it');
  }
});
