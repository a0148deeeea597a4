import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { httpStatus } from '../src/checks';

t.test('an unexpected status is an error that carries the answer', async (t) => {
  const server = createServer((_req, res) => {
    res.statusCode = 503;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ready: false, checks: { sidecar: { ok: false, error: 'not registered' } } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  await t.rejects(httpStatus(`http://127.0.0.1:${port}/readyz`), /answered 503: .*not registered/);
  t.equal(await httpStatus(`http://127.0.0.1:${port}/readyz`, [503]), true);
});
