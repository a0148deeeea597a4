import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Test } from 'tap';

/**
 * Serves `app` on a free loopback port until the test ends (then every connection still open is
 * closed with it), and answers the port.
 */
export async function onLoopback(t: Test, app: Express): Promise<number> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}
