import { startPrivateFerretDb } from '@parley/devstack';
import { type CommandStartedEvent, type Db, MongoClient } from 'mongodb';
import type { Test } from 'tap';

/**
 * A fresh database on a private FerretDB (the dev and test store), stopped with the test, and the
 * commands sent to it, so a test can check which filters a step uses.
 */
export async function privateDb(t: Test): Promise<{ db: Db; commands: CommandStartedEvent[] }> {
  const client = new MongoClient(await startPrivateFerretDb((stop) => t.teardown(stop)), {
    monitorCommands: true,
  });
  await client.connect();
  t.teardown(() => client.close());
  const commands: CommandStartedEvent[] = [];
  client.on('commandStarted', (event) => commands.push(event));
  return { db: client.db('parley_auth_test'), commands };
}
