import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import {
  DependencyError,
  type Sidecar,
  answerClientErrors,
  createHttpApp,
  createLogger,
  finishHttpApp,
  tuneTimeouts,
} from '@parley/service-kit';
import { Server as SocketServer } from 'socket.io';
import t, { type Test } from 'tap';
import { isProxiedPath, proxyRoutes } from '../src/proxy/routes';
import { type SlowBodySettings, guardSlowBodies, isUploadRequest } from '../src/slow-bodies';

const SETTINGS: SlowBodySettings = {
  REQUEST_BODY_DEADLINE_MS: 600,
  UPLOAD_PROGRESS_MIN_BYTES: 1_000,
  UPLOAD_PROGRESS_WINDOW_MS: 400,
};

/** What reached the fake sidecar of one forwarded request: its body, and how that body ended. */
interface Forwarded {
  path: string;
  bytes: number;
  outcome: Promise<'ended' | 'failed'>;
}

/**
 * The gateway's HTTP front as `runService` builds it, its proxy handing bodies to a fake sidecar
 * that reads them through and answers 201 once one ends. With `headersWithinMs`, the fake fails a
 * call whose body brings no byte in that time, as the real one does: fetch sends a request's
 * headers with the first bytes of its body, and the sidecar drops a connection whose headers are
 * late.
 */
async function startGateway(t: Test, options: { socketIo?: boolean; headersWithinMs?: number } = {}) {
  const forwarded: Forwarded[] = [];
  const sidecar = {
    async forward(owner: string, path: string, init: RequestInit) {
      const reader = (init.body as ReadableStream<Uint8Array>).getReader();
      const seen: Forwarded = { path, bytes: 0, outcome: Promise.resolve('ended') };
      forwarded.push(seen);
      let first: ReturnType<typeof reader.read> | undefined;
      if (options.headersWithinMs !== undefined) {
        first = reader.read();
        const late = new Promise<'late'>((resolve) => setTimeout(resolve, options.headersWithinMs, 'late'));
        if ((await Promise.race([first, late])) === 'late') {
          seen.outcome = Promise.resolve('failed');
          void reader.cancel();
          throw new DependencyError('dapr-sidecar', `forwarding to ${owner} failed`);
        }
      }
      seen.outcome = (async () => {
        try {
          for (;;) {
            const { done, value } = await (first ?? reader.read());
            first = undefined;
            if (done) return 'ended';
            seen.bytes += value.length;
          }
        } catch {
          return 'failed';
        }
      })();
      if ((await seen.outcome) === 'failed') throw new Error('the forwarded body failed');
      return new Response(JSON.stringify({ bytes: seen.bytes }), {
        status: 201,
        headers: { 'content-type': 'application/json' },
      });
    },
  } as unknown as Sidecar;
  const logger = createLogger('gateway', 'silent');
  const app = createHttpApp({
    logger,
    appApiToken: 'token-of-the-test-app',
    tokenOnlyUnder: ['/dapr', '/internal'],
    streamBody: isProxiedPath,
  });
  app.post('/api/v1/echo', (req, res) => void res.json(req.body));
  app.use('/api/v1', proxyRoutes(sidecar));
  finishHttpApp(app);
  const server = app.listen(0, '127.0.0.1');
  tuneTimeouts(server);
  answerClientErrors(server);
  // As the gateway does: Socket.IO first, whose engine takes over the server's request listeners,
  // then the guard, ahead of it.
  const io = options.socketIo ? new SocketServer(server) : undefined;
  guardSlowBodies(server, SETTINGS, logger);
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => {
    void io?.close();
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, forwarded };
}

interface Outcome {
  status: number;
  body: string;
  elapsedMs: number;
  /** Whether the server closed the connection after its answer (or without one). */
  closed: boolean;
}

/**
 * Sends a body (`total` spaces, or the text given), `chunk` bytes every `everyMs`, and stops
 * sending once an answer comes. Resolves with the answer (status 0 when the connection closed
 * without one).
 */
function trickle(port: number, path: string, body: number | string, chunk: number, everyMs: number) {
  const content = typeof body === 'string' ? Buffer.from(body) : Buffer.alloc(body, 0x20);
  const total = content.length;
  return new Promise<Outcome>((resolve) => {
    const started = Date.now();
    let sent = 0;
    let status = 0;
    let answer = '';
    let done = false;
    const req = request({
      port,
      host: '127.0.0.1',
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(total) },
    });
    // Sent now, not with the first bytes of the body, which may never come.
    req.flushHeaders();
    const pump = setInterval(() => {
      const part = Math.min(chunk, total - sent);
      if (part <= 0 || done) return clearInterval(pump);
      req.write(content.subarray(sent, sent + part));
      sent += part;
    }, everyMs);
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearInterval(pump);
      resolve({ status, body: answer, elapsedMs: Date.now() - started, closed });
    };
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (part: string) => (answer += part));
      res.on('end', () => {
        const socket = req.socket;
        if (!socket || socket.destroyed || socket.readableEnded) return finish(true);
        socket.once('end', () => finish(true));
        socket.once('close', () => finish(true));
        // A connection left open for the next request.
        setTimeout(() => finish(false), 1_000).unref();
      });
    });
    req.on('error', () => finish(true));
    req.on('close', () => setTimeout(() => finish(true), 50));
  });
}

t.test('only a streamed POST of a file counts as an upload', async (t) => {
  t.ok(isUploadRequest('POST', '/api/v1/media'));
  t.ok(isUploadRequest('POST', '/api/v1/media/?fileName=a.png'));
  t.notOk(isUploadRequest('POST', '/api/v1/media/uploads'));
  t.notOk(isUploadRequest('PUT', '/api/v1/media'));
  t.notOk(isUploadRequest('POST', '/api/v1/conversations'));
});

t.test('a body other than an upload must arrive within the deadline', async (t) => {
  const { port, forwarded } = await startGateway(t);

  t.test('a forwarded body trickled past the deadline is answered 408 and closed', async (t) => {
    // 100 bytes, 2 every 100 ms: 5 s, far past the 600 ms deadline.
    const answer = await trickle(port, '/api/v1/conversations', 100, 2, 100);
    t.equal(answer.status, 408);
    t.match(JSON.parse(answer.body), { status: 408, code: 'REQUEST_BODY_TIMEOUT' });
    t.ok(answer.closed, 'the connection was closed');
    t.ok(answer.elapsedMs < SETTINGS.REQUEST_BODY_DEADLINE_MS + 400, `answered after ${answer.elapsedMs} ms`);
    const seen = forwarded.find((f) => f.path.startsWith('v1/conversations'));
    t.equal(await seen?.outcome, 'failed', 'the forwarded body ended in an error, not complete');
  });

  t.test('a body the gateway parses itself trickled past the deadline is cut too', async (t) => {
    const answer = await trickle(port, '/api/v1/echo', 100, 2, 100);
    t.equal(answer.status, 408);
    t.match(JSON.parse(answer.body), { code: 'REQUEST_BODY_TIMEOUT' });
    t.ok(answer.closed);
    t.ok(answer.elapsedMs < SETTINGS.REQUEST_BODY_DEADLINE_MS + 400, `answered after ${answer.elapsedMs} ms`);
  });

  t.test('a slow body that arrives within the deadline is answered as usual', async (t) => {
    const answer = await trickle(port, '/api/v1/echo', '{"a":1}', 1, 60);
    t.equal(answer.status, 200);
    t.equal(answer.body, '{"a":1}');
    // A body that arrives whole does not leave a timer behind to close the connection later.
    await new Promise((resolve) => setTimeout(resolve, SETTINGS.REQUEST_BODY_DEADLINE_MS));
    const again = await trickle(port, '/api/v1/echo', '{}', 2, 10);
    t.equal(again.status, 200);
  });
});

t.test('an upload may take long but must keep moving', async (t) => {
  const { port, forwarded } = await startGateway(t);

  t.test('an upload trickled below the minimum rate is cut', async (t) => {
    // 100 bytes every 100 ms: 400 a window, below the 1000 required.
    const answer = await trickle(port, '/api/v1/media?fileName=slow.bin', 50_000, 100, 100);
    t.equal(answer.status, 408);
    t.match(JSON.parse(answer.body), { code: 'REQUEST_BODY_TIMEOUT' });
    t.ok(answer.closed, 'the connection was closed');
    t.ok(answer.elapsedMs < 3 * SETTINGS.UPLOAD_PROGRESS_WINDOW_MS, `cut after ${answer.elapsedMs} ms`);
    const seen = forwarded.find((f) => f.path.startsWith('v1/media?fileName=slow.bin'));
    t.equal(await seen?.outcome, 'failed', 'the forwarded upload ended in an error, so nothing is kept');
  });

  t.test('a slow but steady upload outlasting the short deadline passes', async (t) => {
    // 400 bytes every 100 ms: 1600 a window, above the minimum, for 2 s (past the 600 ms deadline).
    const total = 8_000;
    const answer = await trickle(port, '/api/v1/media?fileName=steady.bin', total, 400, 100);
    t.equal(answer.status, 201, `answered after ${answer.elapsedMs} ms`);
    t.same(JSON.parse(answer.body), { bytes: total });
    t.ok(answer.elapsedMs > SETTINGS.REQUEST_BODY_DEADLINE_MS * 2);
  });
});

t.test('an upload that declares a body and sends none is answered as the stall it is', async (t) => {
  const { port, forwarded } = await startGateway(t, {
    headersWithinMs: SETTINGS.UPLOAD_PROGRESS_WINDOW_MS / 4,
  });

  // 1000 bytes declared, none ever sent.
  const answer = await trickle(port, '/api/v1/media?fileName=none.bin', 1_000, 0, 100);
  t.equal(answer.status, 408, 'the client stalled; the service is not to blame');
  t.match(JSON.parse(answer.body), { code: 'REQUEST_BODY_TIMEOUT' });
  t.ok(answer.closed, 'the connection was closed');
  t.same(forwarded, [], 'nothing was forwarded, as no byte of the body came');

  // Its first bytes come after the sidecar's patience for headers, then steadily.
  const late = await trickle(port, '/api/v1/media?fileName=late.bin', 3_200, 800, 150);
  t.equal(late.status, 201, 'a body whose bytes start coming late is forwarded');
  t.same(JSON.parse(late.body), { bytes: 3_200 });
});

t.test('a Socket.IO long-polling body must arrive within the deadline too', async (t) => {
  const { port } = await startGateway(t, { socketIo: true });
  const open = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`);
  const { sid } = JSON.parse((await open.text()).slice(1)) as { sid: string };
  t.ok(sid, 'a polling session opened');
  const answer = await trickle(
    port,
    `/socket.io/?EIO=4&transport=polling&sid=${sid}`,
    '4hello'.repeat(10),
    1,
    100,
  );
  t.equal(answer.status, 408);
  t.match(JSON.parse(answer.body), { code: 'REQUEST_BODY_TIMEOUT' });
  t.ok(answer.closed, 'the connection was closed');
  t.ok(answer.elapsedMs < SETTINGS.REQUEST_BODY_DEADLINE_MS + 400, `answered after ${answer.elapsedMs} ms`);
  // The server goes on: a new polling session opens.
  const again = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`);
  t.equal(again.status, 200);
});
