import { startPrivateFerretDb } from '@parley/devstack';
import { MongoClient } from 'mongodb';
import type { Test } from 'tap';

/**
 * A client of a private FerretDB (the dev and test store), stopped and removed with the test. It
 * reports every command, so a test can count what a path asks.
 */
export async function privateClient(t: Test): Promise<MongoClient> {
  const url = await startPrivateFerretDb((stop) => t.teardown(stop));
  const client = new MongoClient(url, { monitorCommands: true });
  await client.connect();
  t.teardown(() => client.close());
  return client;
}
