import t from 'tap';
import { Batcher, type BatcherOptions } from '../src/index';

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A batcher whose batches the test finishes by hand, oldest first. */
function batcherOver(options: Partial<BatcherOptions<string>> = {}) {
  const sent: { batch: string[]; finish: () => void }[] = [];
  const batcher = new Batcher<string>({
    concurrency: 1,
    maxItems: 100,
    send: (batch) => new Promise<void>((resolve) => sent.push({ batch, finish: resolve })),
    ...options,
  });
  return { batcher, sent };
}

t.test('items added in one turn leave together, at once', async (t) => {
  const { batcher, sent } = batcherOver();
  for (const item of ['a', 'b', 'c']) batcher.add(item);
  t.equal(sent.length, 0, 'not before the turn is over');
  await turn();
  t.same(
    sent.map((s) => s.batch),
    [['a', 'b', 'c']],
  );
});

t.test('items added while batches are out wait for one to come back', async (t) => {
  const { batcher, sent } = batcherOver({ concurrency: 2 });
  batcher.add('a');
  await turn();
  batcher.add('b');
  await turn();
  batcher.add('c');
  batcher.add('d');
  await turn();
  t.equal(sent.length, 2, 'two out, the rest waits');
  sent[0]!.finish();
  for (let i = 0; i < 5 && sent.length < 3; i++) await turn();
  t.same(sent[2]?.batch, ['c', 'd']);
});

t.test('a batch holds at most maxItems items and maxSize of their size', async (t) => {
  const { batcher, sent } = batcherOver({ maxItems: 3, maxSize: 10, sizeOf: (item) => item.length });
  for (const item of ['a', 'b', 'c', 'd', 'eeeeeeeeee', 'ffffffffffffffff', 'g']) batcher.add(item);
  const batches: string[][] = [];
  for (let i = 0; i < 20 && batches.flat().length < 7; i++) {
    await turn();
    const next = sent.shift();
    if (next) {
      batches.push(next.batch);
      next.finish();
    }
  }
  t.same(batches, [['a', 'b', 'c'], ['d'], ['eeeeeeeeee'], ['ffffffffffffffff'], ['g']]);
});

t.test('an item waits at most maxWaitMs for a slow batch, then leaves beside it', async (t) => {
  const { batcher, sent } = batcherOver({ maxWaitMs: 50 });
  batcher.add('slow');
  await turn();
  const added = Date.now();
  batcher.add('next');
  batcher.add('and next');
  for (let i = 0; i < 200 && sent.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
  t.same(sent[1]?.batch, ['next', 'and next'], 'they leave without the slow one coming back');
  t.ok(Date.now() - added >= 45, 'after about maxWaitMs');
});

t.test('a failed send does not stop the batcher', async (t) => {
  let calls = 0;
  const batcher = new Batcher<number>({
    concurrency: 1,
    maxItems: 10,
    send: async () => {
      calls++;
      throw new Error('lost');
    },
  });
  batcher.add(1);
  await turn();
  await turn();
  batcher.add(2);
  for (let i = 0; i < 5 && calls < 2; i++) await turn();
  t.equal(calls, 2);
});
