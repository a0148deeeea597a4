import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requireUser } from '@parley/identity';
import { UnauthorizedError, createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import t, { type Test } from 'tap';
import { FigureStore } from '../src/figures/figure-store';
import { figureRoutes } from '../src/figures/routes';
import { privateDb } from './ferretdb';

// The daily figures take a range of days an operator would ask about: from the year 2000 on, and
// never a year of four digits the calendar code cannot carry past.

async function analytics(t: Test) {
  const store = new FigureStore(await privateDb(t));
  await store.init();
  const verifier = {
    async verify(token: string) {
      if (token !== 'admin-token') throw new UnauthorizedError('AUTH_TOKEN_INVALID', 'not valid');
      return { userId: 'u_admin', sessionId: 's_1', roles: ['admin'] };
    },
  };
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: 'token-of-the-test-app' });
  app.use(figureRoutes(store, requireUser(verifier)));
  finishHttpApp(app);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;
  // node:http rather than fetch, which will not send a body with a GET.
  return (query: string, body?: unknown) =>
    new Promise<{ status: number; body: { code?: string; days?: unknown[] } }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = {
        authorization: 'Bearer admin-token',
        'dapr-api-token': 'token-of-the-test-app',
        // Node sends a GET's body only with its length.
        ...(payload === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
      };
      const path = `/v1/analytics/daily?${query}`;
      const req = request({ host: '127.0.0.1', port, method: 'GET', path, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as never }));
      });
      req.on('error', reject);
      req.end(payload);
    });
}

t.test('a range inside the years operators ask about is answered', async (t) => {
  const daily = await analytics(t);
  const answer = await daily('from=2000-01-01&to=2000-01-02');
  t.equal(answer.status, 200);
  t.equal(answer.body.days?.length, 2);
  t.equal((await daily('from=9999-12-30&to=9999-12-31')).status, 200);
});

t.test('a day before the year 2000 is refused as invalid', async (t) => {
  const daily = await analytics(t);
  for (const query of [
    'from=0000-01-01&to=0000-01-01',
    'from=1999-12-31&to=2000-01-01',
    'from=0001-01-01&to=0001-12-31',
  ]) {
    const answer = await daily(query);
    t.equal(answer.status, 400, query);
    t.equal(answer.body.code, 'VALIDATION_FAILED', query);
  }
});

t.test('the figures read their query only: a body is refused', async (t) => {
  const daily = await analytics(t);
  const range = 'from=2000-01-01&to=2000-01-02';
  const refused = await daily(range, { to: '2000-12-31' });
  t.equal(refused.status, 400);
  t.equal(refused.body.code, 'VALIDATION_FAILED');
  t.equal((await daily(range, {})).status, 200, 'an empty JSON object is still accepted');
});
