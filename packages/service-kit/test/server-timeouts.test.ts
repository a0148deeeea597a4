import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { KEEP_ALIVE_MS, REQUEST_TIMEOUT_MS, tuneTimeouts } from '../src/lifecycle';

// A sidecar keeps its connections to the app idle for up to 90 s and sends the next request on
// one of them. The app must not close such a connection after Node's default 5 s: a POST sent
// on a connection being closed fails, and the sidecar does not send it again.

t.test('an idle connection is still open for a request after Node’s default of 5 s', async (t) => {
  const server = createServer((_req, res) => res.end('ok'));
  tuneTimeouts(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const { port } = server.address() as AddressInfo;
  const post = () =>
    new Promise<boolean>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent }, (res) => {
        res.resume();
        res.once('end', () => resolve(req.reusedSocket));
      });
      req.once('error', reject);
      req.end('body');
    });

  t.equal(await post(), false, 'the first request opens the connection');
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  t.equal(await post(), true, 'the second, 6 s later, is sent on the same connection');
});

t.test('the timeouts outlast the sidecars’ idle connections and slow uploads', async (t) => {
  const server = createServer();
  tuneTimeouts(server);
  t.ok(KEEP_ALIVE_MS > 90_000);
  t.equal(server.keepAliveTimeout, KEEP_ALIVE_MS);
  t.equal(server.headersTimeout, 60_000, 'headers still have to arrive within a minute');
  t.ok(REQUEST_TIMEOUT_MS > 15 * 60_000);
  t.equal(server.requestTimeout, REQUEST_TIMEOUT_MS);
});
