import t from 'tap';
import { ChangeBoard, type ChangeBoardDoc, createLogger } from '../src/index';
import { privateDb } from './ferretdb';

const db = privateDb('parley_change_board_test');
const logger = createLogger('test', 'silent');

/** Two instances of a service on one board, each on a clock the test moves; nobody polls. */
async function twoInstances(name: string, buckets = 64) {
  const collection = db().collection<ChangeBoardDoc>('change_board');
  const clock = { now: 1_000_000 };
  const options = { buckets, pollMs: 1_000, staleAfterMs: 5_000, now: () => clock.now };
  const a = new ChangeBoard(collection, name, logger, options);
  const b = new ChangeBoard(collection, name, logger, options);
  await Promise.all([a.read(), b.read()]);
  return { a, b, clock, collection };
}

t.test(
  'a change made through one instance stops the others trusting their entry once they read',
  async (t) => {
    const { a, b } = await twoInstances('memberships');
    const stamp = b.stamp('conversation-1');
    t.equal(stamp, 0, 'a bucket that never changed starts at 0');
    t.ok(b.holds('conversation-1', stamp!), 'the entry holds');

    await a.changed('conversation-1');
    t.ok(b.holds('conversation-1', stamp!), 'until the other instance reads the board again');
    await b.read();
    t.notOk(b.holds('conversation-1', stamp!), 'then it no longer holds');
    t.equal(b.stamp('conversation-1'), 1, 'and data read from now on is stamped anew');
    t.ok(b.holds('conversation-1', b.stamp('conversation-1')!));
  },
);

t.test('a change leaves the keys of other buckets trusted', async (t) => {
  const { a, b } = await twoInstances('levels');
  const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
  const stamps = new Map(keys.map((key) => [key, b.stamp(key)!]));
  await a.changed('user-7');
  await b.read();
  const dropped = keys.filter((key) => !b.holds(key, stamps.get(key)!));
  t.ok(dropped.includes('user-7'), 'the changed key is dropped');
  t.ok(dropped.length < 20, `only its bucket's keys go with it (${dropped.length} of 200)`);
});

t.test('data read before a change and kept after it never holds', async (t) => {
  // The stamp is taken before the read: a change landing during the read shows up as a newer
  // counter, whenever this instance learns of it.
  const { a, b } = await twoInstances('race');
  const stamp = b.stamp('k')!;
  await a.changed('k'); // meanwhile, the read of k's data (stale now) is still on its way
  await b.read();
  t.notOk(b.holds('k', stamp));
});

t.test('every change counts, from any instance, even many at once', async (t) => {
  const { a, b, collection } = await twoInstances('many', 1);
  const stamp = b.stamp('x')!;
  await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).changed(`key-${i}`)));
  const doc = await collection.findOne({ _id: 'many' });
  t.same(doc?.counters, { 0: 20 }, 'one bucket, raised 20 times');
  await b.read();
  t.equal(b.stamp('x'), stamp + 20);
});

t.test('a board that could not be read for a while vouches for nothing', async (t) => {
  const { b, clock } = await twoInstances('stale');
  const stamp = b.stamp('k')!;
  clock.now += 4_999;
  t.ok(b.holds('k', stamp));
  clock.now += 1;
  t.notOk(b.holds('k', stamp), 'nothing holds once the last read is too old');
  t.equal(b.stamp('k'), undefined, 'and nothing new may be kept');
  await b.read();
  t.ok(b.holds('k', stamp), 'a read brings the board back');
});

t.test('a new board vouches for nothing before its first read', async (t) => {
  const board = new ChangeBoard(db().collection<ChangeBoardDoc>('change_board'), 'unread', logger);
  t.equal(board.stamp('k'), undefined);
  t.notOk(board.holds('k', 0));
});

t.test('started, a board reads at once and then on its interval, until stopped', async (t) => {
  const collection = db().collection<ChangeBoardDoc>('change_board');
  const writer = new ChangeBoard(collection, 'polled', logger);
  const reader = new ChangeBoard(collection, 'polled', logger, { pollMs: 50 });
  await reader.start();
  t.teardown(() => reader.stop());
  const stamp = reader.stamp('k')!;
  t.equal(stamp, 0);
  await writer.changed('k');
  const deadline = Date.now() + 5_000;
  while (reader.holds('k', stamp) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.notOk(reader.holds('k', stamp), 'the change reached the reader by its own polling');
  await reader.stop();
});
