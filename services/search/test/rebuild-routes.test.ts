import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import t, { type Test } from 'tap';
import type { Rebuilds } from '../src/rebuild/rebuild-job';
import { rebuildRoutes } from '../src/rebuild/rebuild-routes';
import { rawCaller } from '../../../test/support/raw-request';

// The operator's rebuild routes take no options: one they do not know is refused before a rebuild
// starts, rather than ignored.

const APP_TOKEN = 'app-token-of-the-test';
const REBUILD_ID = '0b7c7f39-6f55-4c1e-9d3a-3f1b0c2e4a51';

async function search(t: Test) {
  let started = 0;
  const rebuilds = {
    running: () => undefined,
    start: () => {
      started++;
      return { id: REBUILD_ID, state: 'running' };
    },
    get: (id: string) => (id === REBUILD_ID ? { id, state: 'running' } : undefined),
  } as unknown as Rebuilds;
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.use(rebuildRoutes(rebuilds));
  finishHttpApp(app);
  const call = await rawCaller(t, app, { 'dapr-api-token': APP_TOKEN });
  return { call, started: () => started };
}

t.test('a rebuild starts only without options', async (t) => {
  const { call, started } = await search(t);
  const refused = { status: 400, code: 'VALIDATION_FAILED' };
  t.same(await call('POST', '/internal/v1/rebuilds?full=1'), refused);
  t.same(await call('POST', '/internal/v1/rebuilds', { full: true }), refused);
  t.equal(started(), 0, 'no rebuild was started');
  t.equal((await call('POST', '/internal/v1/rebuilds')).status, 202);
  t.equal(started(), 1);
});

t.test('a rebuild report takes only its id', async (t) => {
  const { call } = await search(t);
  t.same(await call('GET', `/internal/v1/rebuilds/${REBUILD_ID}?x=1`), {
    status: 400,
    code: 'VALIDATION_FAILED',
  });
  t.equal((await call('GET', `/internal/v1/rebuilds/${REBUILD_ID}`)).status, 200);
});
