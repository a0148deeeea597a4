import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Test } from 'tap';

/** Listens on a free loopback port for the length of the test and returns the base URL. */
export async function serve(t: Test, app: Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
