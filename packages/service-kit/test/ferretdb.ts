import { startPrivateFerretDb } from '@parley/devstack';
import { type Db, MongoClient } from 'mongodb';
import t from 'tap';

/** A database on a private FerretDB (the dev and test store), started before the file's tests. */
export function privateDb(name: string): () => Db {
  let db: Db | undefined;
  t.before(async () => {
    const url = await startPrivateFerretDb((stop) => t.teardown(stop));
    const client = new MongoClient(url);
    await client.connect();
    t.teardown(() => client.close());
    db = client.db(name);
  });
  return () => {
    if (!db) throw new Error('the database is ready only once the tests run');
    return db;
  };
}
