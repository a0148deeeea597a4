import { startPrivateFerretDb } from '@parley/devstack';
import { type Db, MongoClient } from 'mongodb';
import type { Test } from 'tap';

/**
 * A database of a private FerretDB (the dev and test store), stopped and removed with the test:
 * the recorder's rules rest on the server's duplicate-key answers.
 */
export async function privateDb(t: Test): Promise<Db> {
  const client = new MongoClient(await startPrivateFerretDb((stop) => t.teardown(stop)));
  await client.connect();
  t.teardown(() => client.close());
  return client.db('parley_analytics_test');
}
