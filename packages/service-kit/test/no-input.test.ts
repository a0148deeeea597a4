import t, { type Test } from 'tap';
import { type Sidecar, createHttpApp, createLogger, finishHttpApp, mountProbe, takesNoInput } from '../src';
import { serve } from './helpers';

// A route that reads no query and no body refuses both, so an option it does not know is never
// taken for one it obeyed; the probe report every back-end service serves to operators is one.

const APP_TOKEN = 'app-token-of-the-test';
const PROBE_ID = '0b7c7f39-6f55-4c1e-9d3a-3f1b0c2e4a51';

async function service(t: Test) {
  const asked: string[] = [];
  const sidecar = {
    async getState(key: string) {
      asked.push(key);
      return { service: 'test', probeId: PROBE_ID };
    },
  } as unknown as Sidecar;
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.post('/internal/v1/actions', takesNoInput(), (_req, res) => res.status(202).json({}));
  mountProbe(app, 'test', sidecar);
  finishHttpApp(app);
  const base = await serve(t, app);
  const call = async (method: string, path: string, body?: string) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        'dapr-api-token': APP_TOKEN,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body,
    });
    return { status: res.status, code: ((await res.json()) as { code?: string }).code };
  };
  return { call, asked };
}

t.test('a route that reads nothing refuses a query or a body', async (t) => {
  const { call } = await service(t);
  for (const [path, body] of [
    ['/internal/v1/actions?x=1', undefined],
    ['/internal/v1/actions', '{"x":1}'],
    ['/internal/v1/actions', '[]'],
  ] as const) {
    t.same(await call('POST', path, body), { status: 400, code: 'VALIDATION_FAILED' }, `${path} ${body}`);
  }
  t.equal((await call('POST', '/internal/v1/actions')).status, 202, 'no body');
  t.equal((await call('POST', '/internal/v1/actions', '{}')).status, 202, 'an empty object');
});

t.test('a probe report takes only the probe id', async (t) => {
  const { call, asked } = await service(t);
  t.same(await call('GET', `/internal/v1/probes/${PROBE_ID}?x=1`), {
    status: 400,
    code: 'VALIDATION_FAILED',
  });
  t.same(asked, [], 'the state store was not asked');
  t.equal((await call('GET', `/internal/v1/probes/${PROBE_ID}`)).status, 200);
});
