import { type AddressInfo, type Socket, connect, createServer as createNetServer } from 'node:net';
import { startPrivateFerretDb } from '@parley/devstack';
import { type Collection, type CommandStartedEvent, MongoClient, MongoServerError } from 'mongodb';
import t, { type Test } from 'tap';
import { BatchedWrites } from '../src/index';

interface CounterDoc {
  _id: string;
  n: number;
}

let url = '';
t.before(async () => {
  url = await startPrivateFerretDb((stop) => t.teardown(stop));
});

/** A fresh collection, and the write commands sent to it as the server received them. */
async function collectionFor(t: Test, name: string) {
  const client = new MongoClient(url, { monitorCommands: true });
  await client.connect();
  t.teardown(() => client.close());
  const commands: { name: string; size: number }[] = [];
  client.on('commandStarted', (event: CommandStartedEvent) => {
    const size = event.command.documents?.length ?? event.command.updates?.length;
    if (size !== undefined && event.command[event.commandName] === name) {
      commands.push({ name: event.commandName, size });
    }
  });
  const collection: Collection<CounterDoc> = client.db('parley_batched_test').collection(name);
  await collection.deleteMany({});
  return { collection, commands, client };
}

t.test('writes made in one turn leave in one command each kind', async (t) => {
  const { collection, commands } = await collectionFor(t, 'one_turn');
  const writes = new BatchedWrites(collection);
  await Promise.all([
    ...Array.from({ length: 20 }, (_, i) => writes.insertOne({ _id: `d${i}`, n: i })),
    ...Array.from({ length: 5 }, (_, i) =>
      writes.updateOne({ _id: `u${i}` }, { $inc: { n: 1 } }, { upsert: true }),
    ),
  ]);
  t.same(
    commands.sort((a, b) => a.name.localeCompare(b.name)),
    [
      { name: 'insert', size: 20 },
      { name: 'update', size: 5 },
    ],
  );
  t.equal(await collection.countDocuments({}), 25);
});

t.test('a lone write leaves at once; those made meanwhile wait and leave together', async (t) => {
  const { collection, commands } = await collectionFor(t, 'meanwhile');
  const writes = new BatchedWrites(collection);
  const first = writes.insertOne({ _id: 'first', n: 0 });
  // The first is on its way once its turn ends; these come in a later turn.
  await new Promise((resolve) => setImmediate(resolve));
  const later = Array.from({ length: 30 }, (_, i) => writes.insertOne({ _id: `later${i}`, n: i }));
  await Promise.all([first, ...later]);
  t.same(
    commands.map((c) => c.size),
    [1, 30],
  );
  t.equal(await collection.countDocuments({}), 31);
});

t.test('a write the database refuses fails alone, with the error it would have met alone', async (t) => {
  const { collection } = await collectionFor(t, 'refused');
  await collection.insertOne({ _id: 'taken', n: 0 });
  const writes = new BatchedWrites(collection);
  const results = await Promise.allSettled([
    writes.insertOne({ _id: 'a', n: 1 }),
    writes.insertOne({ _id: 'taken', n: 1 }),
    writes.insertOne({ _id: 'b', n: 1 }),
  ]);
  t.same(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  const refused = (results[1] as PromiseRejectedResult).reason as unknown;
  t.ok(refused instanceof MongoServerError, 'a server error, as a lone insert gets');
  t.equal((refused as MongoServerError).code, 11000);
  t.same(
    (await collection.find({}).sort({ _id: 1 }).toArray()).map((d) => [d._id, d.n]),
    [
      ['a', 1],
      ['b', 1],
      ['taken', 0],
    ],
  );
});

t.test('updates of one document in one command are each applied', async (t) => {
  const { collection, commands } = await collectionFor(t, 'same_document');
  const writes = new BatchedWrites(collection);
  await Promise.all(
    Array.from({ length: 10 }, () => writes.updateOne({ _id: 'c' }, { $inc: { n: 1 } }, { upsert: true })),
  );
  t.equal(commands.length, 1);
  t.same(await collection.findOne({ _id: 'c' }), { _id: 'c', n: 10 });
});

t.test('a command that fails as a whole fails each of its writes', async (t) => {
  const { collection, client } = await collectionFor(t, 'closed');
  const writes = new BatchedWrites(collection);
  await client.close();
  const results = await Promise.allSettled([
    writes.insertOne({ _id: 'x', n: 1 }),
    writes.updateOne({ _id: 'y' }, { $set: { n: 1 } }),
  ]);
  t.same(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
});

t.test('a command carries at most maxInserts inserts', async (t) => {
  const { collection, commands } = await collectionFor(t, 'max_inserts');
  const writes = new BatchedWrites(collection, { maxInserts: 4 });
  await Promise.all(Array.from({ length: 10 }, (_, i) => writes.insertOne({ _id: `m${i}`, n: i })));
  t.same(
    commands.map((c) => c.size),
    [4, 4, 2],
  );
});

t.test('many updates at once go out in commands of 25, which the dev store serves', async (t) => {
  const { collection, commands } = await collectionFor(t, 'many_updates');
  const writes = new BatchedWrites(collection);
  // 300 updates in one command would never be answered by FerretDB 1.x (see maxUpdates).
  const done = Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      writes.updateOne({ _id: `u${i}` }, { $inc: { n: 1 } }, { upsert: true }),
    ),
  );
  const late = await Promise.race([
    done.then(() => false),
    new Promise((r) => setTimeout(() => r(true), 20_000)),
  ]);
  t.notOk(late, 'every update is answered');
  t.ok(
    commands.every((c) => c.size <= 25),
    'no command over 25 statements',
  );
  t.equal(await collection.countDocuments({}), 300);
});

/**
 * A TCP relay to the store that the test can cut: once `hold` is called, what clients send is no
 * longer passed on, and `cut` then closes every connection, as a store that dies mid-command does.
 */
async function cuttableRelay(t: Test, target: URL) {
  let holding = false;
  const sockets = new Set<Socket>();
  const relay = createNetServer((client) => {
    const server = connect(Number(target.port), target.hostname);
    for (const s of [client, server]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk) => {
      if (!holding) server.write(chunk);
    });
    server.pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    relay.close();
  });
  return {
    url: `mongodb://127.0.0.1:${(relay.address() as AddressInfo).port}/?directConnection=true`,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
    },
    cut: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

/** A fresh collection reached through a relay the test can hold and cut. */
async function collectionBehindRelay(t: Test, name: string) {
  const relay = await cuttableRelay(t, new URL(url));
  const client = new MongoClient(relay.url, { retryWrites: false, serverSelectionTimeoutMS: 2_000 });
  await client.connect();
  t.teardown(() => client.close());
  const collection = client.db('parley_batched_test').collection<CounterDoc>(name);
  await collection.deleteMany({});
  return { relay, collection };
}

t.test('writes whose command the store never answered fail, and are not taken as written', async (t) => {
  const { relay, collection } = await collectionBehindRelay(t, 'cut');
  const writes = new BatchedWrites(collection);

  relay.hold();
  const outcomes = Promise.allSettled([
    ...Array.from({ length: 5 }, (_, i) => writes.insertOne({ _id: `lost${i}`, n: i })),
    writes.updateOne({ _id: 'counter' }, { $inc: { n: 1 } }, { upsert: true }),
  ]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  relay.cut();
  const settled = await outcomes;
  t.same(
    settled.map((o) => o.status),
    Array.from({ length: 6 }, () => 'rejected'),
    'each write sees the failure, as a lone write would',
  );
});

t.test('a command left unanswered fails its writes in time, and later writes go through', async (t) => {
  const { relay, collection } = await collectionBehindRelay(t, 'unanswered');
  const writes = new BatchedWrites(collection, { commandTimeoutMs: 300 });

  relay.hold();
  const held = await Promise.allSettled([writes.insertOne({ _id: 'held', n: 0 })]);
  t.match(
    held,
    [{ status: 'rejected', reason: { name: 'WriteTimeoutError' } }],
    'the write fails, not waits',
  );

  relay.release();
  // The connection that carried the held command is still busy with it; a new one is made.
  await writes.insertOne({ _id: 'after', n: 1 });
  t.ok(await collection.findOne({ _id: 'after' }), 'the next write is not held up behind it');
});
