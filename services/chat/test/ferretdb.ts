import { startPrivateFerretDb } from '@parley/devstack';
import { MongoClient } from 'mongodb';
import type { Test } from 'tap';

/** A private FerretDB on a free loopback port for the length of the test; resolves with its URL. */
export function startFerretDb(t: Test): Promise<string> {
  return startPrivateFerretDb((stop) => t.teardown(stop));
}

/**
 * A client closed with the test: each one stands for one instance of the chat service. It reports
 * its commands, so a test can check which ones a step sends.
 */
export async function connect(t: Test, url: string): Promise<MongoClient> {
  const client = new MongoClient(url, { monitorCommands: true });
  await client.connect();
  t.teardown(() => client.close());
  return client;
}
