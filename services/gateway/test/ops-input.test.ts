import { request } from 'node:http';
import { type Sidecar, createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import t, { type Test } from 'tap';
import { opsRoutes } from '../src/ops/routes';
import { onLoopback } from './loopback';

// Every operator endpoint takes only the path, query and body it documents: an unknown key or a
// value of the wrong form is refused with 400 before anything is published or forwarded, rather
// than ignored.

const OPS_TOKEN = 'operator-token-of-the-test';
const PROBE_ID = '0b7c7f39-6f55-4c1e-9d3a-3f1b0c2e4a51';

interface Problem {
  code?: string;
  errors?: { path: string }[];
}

async function gateway(t: Test) {
  /** What the routes asked of the sidecar, in order. */
  const calls: { kind: string; target: string; body?: unknown }[] = [];
  const sidecar = {
    async publish(topic: string) {
      calls.push({ kind: 'publish', target: topic });
    },
    async invoke(appId: string, method: string) {
      calls.push({ kind: 'invoke', target: `${appId}/${method}` });
      return { status: 200, body: method.startsWith('internal/v1/probes/') ? {} : { ready: true } };
    },
    async invokeOk(appId: string, method: string, init: { body?: unknown } = {}) {
      calls.push({ kind: 'invokeOk', target: `${appId}/${method}`, body: init.body });
      return { forwarded: true };
    },
  } as unknown as Sidecar;
  const app = createHttpApp({
    logger: createLogger('test', 'silent'),
    appApiToken: 'app-token-of-the-test',
    tokenOnlyUnder: ['/dapr', '/internal'],
  });
  app.use('/api/v1/ops', opsRoutes(sidecar, OPS_TOKEN));
  finishHttpApp(app);
  const port = await onLoopback(t, app);

  /** A request sent with its path exactly as written: fetch would resolve `%2e%2e` itself. */
  const call = (method: string, path: string, body?: string) =>
    new Promise<{ status: number; body: Problem & Record<string, unknown> }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path: `/api/v1/ops${path}`,
          headers: {
            authorization: `Bearer ${OPS_TOKEN}`,
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            const json = res.headers['content-type']?.includes('json') ? JSON.parse(text) : {};
            resolve({ status: res.statusCode ?? 0, body: json });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { call, calls };
}

t.test('the dead-letter list takes no query', async (t) => {
  const { call, calls } = await gateway(t);
  for (const query of ['limit=abc', 'x=1', 'topic=../../x']) {
    const answer = await call('GET', `/dead-letters?${query}`);
    t.equal(answer.status, 400, query);
    t.equal(answer.body.code, 'VALIDATION_FAILED', query);
  }
  t.same(calls, [], 'nothing was asked of analytics');

  const answer = await call('GET', '/dead-letters');
  t.equal(answer.status, 200);
  t.same(calls, [{ kind: 'invokeOk', target: 'analytics/internal/v1/dead-letters', body: undefined }]);
});

t.test('a probe is started only without options', async (t) => {
  const { call, calls } = await gateway(t);
  for (const [path, body] of [
    ['/probes', '{"x":1}'],
    ['/probes', '[]'],
    ['/probes?x=1', undefined],
  ] as const) {
    const answer = await call('POST', path, body);
    t.equal(answer.status, 400, `${path} ${body}`);
    t.equal(answer.body.code, 'VALIDATION_FAILED', `${path} ${body}`);
  }
  t.same(calls, [], 'no probe was published');

  t.equal((await call('POST', '/probes')).status, 202);
  t.equal((await call('POST', '/probes', '{}')).status, 202);
  t.equal(calls.filter((c) => c.kind === 'publish').length, 2);
});

t.test('status and probe reports take no query and no body', async (t) => {
  const { call, calls } = await gateway(t);
  for (const [path, body] of [
    ['/status?verbose=1', undefined],
    ['/status', '{"x":1}'],
    [`/probes/${PROBE_ID}?x=1`, undefined],
    [`/probes/${PROBE_ID}`, '{"x":1}'],
    ['/probes/not-a-uuid', undefined],
    ['/metrics?name[]=x', undefined],
  ] as const) {
    const answer = await call('GET', path, body);
    t.equal(answer.status, 400, `${path} ${body}`);
    t.equal(answer.body.code, 'VALIDATION_FAILED', `${path} ${body}`);
  }
  t.same(calls, [], 'no service was asked');

  t.equal((await call('GET', '/status')).status, 200);
  t.equal((await call('GET', `/probes/${PROBE_ID}`)).status, 200);
  t.equal((await call('GET', '/metrics')).status, 200);
});

t.test('roles are forwarded only as a list of roles', async (t) => {
  const { call, calls } = await gateway(t);
  for (const [path, body] of [
    ['/users/alice/roles', '{"roles":["admin"],"x":1}'],
    ['/users/alice/roles', '{"roles":"admin"}'],
    ['/users/alice/roles', '{}'],
    ['/users/alice/roles', undefined],
    ['/users/alice/roles?x=1', '{"roles":["admin"]}'],
    ['/users/a/roles', '{"roles":["admin"]}'],
  ] as const) {
    const answer = await call('PUT', path, body);
    t.equal(answer.status, 400, `${path} ${body}`);
    t.equal(answer.body.code, 'VALIDATION_FAILED', `${path} ${body}`);
  }
  t.same(calls, [], 'nothing was forwarded to auth');

  const answer = await call('PUT', '/users/alice/roles', '{"roles":["admin"]}');
  t.equal(answer.status, 200);
  t.same(calls, [
    {
      kind: 'invokeOk',
      target: 'auth/internal/v1/users/by-username/alice/roles',
      body: { roles: ['admin'] },
    },
  ]);
});

t.test('a path with a dot segment is refused as the proxied paths refuse it', async (t) => {
  const { call, calls } = await gateway(t);
  for (const path of ['/probes/%2e%2e', '/probes/%2E', '/probes/%252e%252e', '/users/a%5Cb/roles']) {
    const answer = await call('GET', path);
    t.equal(answer.status, 400, path);
    t.equal(answer.body.code, 'PATH_INVALID', path);
  }
  t.same(calls, []);
});
