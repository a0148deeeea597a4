import t from 'tap';
import { OrderedDelivery } from '../src/realtime/ordered-delivery';
import { CONVERSATION, message } from './messages';

/** A delivery over a fake history holding messages 1..stored, with an optional slow read. */
function setup(stored: number, readDelayMs = 0) {
  const emitted: number[] = [];
  const history = Array.from({ length: stored }, (_, i) => message(i + 1));
  let reads = 0;
  const delivery = new OrderedDelivery(
    (m) => emitted.push(m.seq),
    async (_id, after, limit) => {
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, readDelayMs));
      return { items: history.filter((m) => m.seq > after).slice(0, limit), lastSeq: history.length };
    },
    () => undefined,
  );
  t.teardown(() => delivery.close());
  return { delivery, emitted, history, reads: () => reads };
}

const until = async (check: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
};

t.test('live messages in order go straight out', async (t) => {
  const { delivery, emitted } = setup(0);
  delivery.start(CONVERSATION, 0);
  for (const seq of [1, 2, 3]) delivery.live(message(seq));
  t.same(emitted, [1, 2, 3]);
});

t.test('a redelivered message is sent once', async (t) => {
  const { delivery, emitted } = setup(0);
  delivery.start(CONVERSATION, 0);
  for (const seq of [1, 1, 2, 1, 2]) delivery.live(message(seq));
  t.same(emitted, [1, 2]);
});

t.test('messages arriving out of order are sent in order', async (t) => {
  const { delivery, emitted } = setup(3);
  delivery.start(CONVERSATION, 0);
  for (const seq of [3, 1, 2]) delivery.live(message(seq));
  t.same(emitted, [1, 2, 3]);
});

t.test('a missing message is read from history after a short wait', async (t) => {
  const { delivery, emitted } = setup(4);
  delivery.start(CONVERSATION, 0);
  delivery.live(message(1));
  delivery.live(message(4));
  t.same(emitted, [1], 'the later message waits for the missing ones');
  await until(() => emitted.length === 4);
  t.same(emitted, [1, 2, 3, 4]);
});

t.test('a sync sends what the client missed, then what arrived live meanwhile, once each', async (t) => {
  const { delivery, emitted, history } = setup(60, 20);
  delivery.start(CONVERSATION, 60);
  const sync = delivery.sync(CONVERSATION, 10);
  for (const seq of [61, 62]) {
    history.push(message(seq));
    delivery.live(message(seq));
  }
  t.equal(await sync, 62);
  await until(() => emitted.length >= 52);
  t.same(
    emitted,
    Array.from({ length: 52 }, (_, i) => 11 + i),
  );
});

t.test('a message sent live before the sync is not sent again by the sync', async (t) => {
  const { delivery, emitted, history } = setup(5);
  delivery.start(CONVERSATION, 5);
  history.push(message(6));
  delivery.live(message(6));
  t.same(emitted, [6]);
  await delivery.sync(CONVERSATION, 2);
  t.same(emitted, [6, 3, 4, 5], 'the missed ones follow, the live one is not repeated');
});

t.test(
  'a client holding more than the conversation has is taken back, and misses nothing after',
  async (t) => {
    const { delivery, emitted, history } = setup(3);
    delivery.start(CONVERSATION, 3);
    t.equal(await delivery.sync(CONVERSATION, 1000), 3, 'the answer names the newest message there is');
    t.same(emitted, []);
    for (const seq of [4, 5, 6]) {
      history.push(message(seq));
      delivery.live(message(seq));
    }
    t.same(emitted, [4, 5, 6], 'the messages numbered below its cursor reach it');
  },
);

t.test('a cursor ahead of a conversation whose newest number trails its last message', async (t) => {
  // Chat raises a conversation's newest number just after storing the message: a read between
  // the two says 3 while 4 is there. The client is taken back to 4, not below it.
  const emitted: number[] = [];
  const history = [1, 2, 3, 4].map(message);
  const delivery = new OrderedDelivery(
    (m) => emitted.push(m.seq),
    async (_id, after, limit) => ({
      items: history.filter((m) => m.seq > after).slice(0, limit),
      lastSeq: 3,
    }),
    () => undefined,
  );
  t.teardown(() => delivery.close());
  t.equal(await delivery.sync(CONVERSATION, 2), 4, 'what the client lacks is sent');
  t.same(emitted, [3, 4]);
  t.equal(await delivery.sync(CONVERSATION, 9), 3, 'taken back to the newest number chat names');
  delivery.live(message(4));
  t.same(emitted, [3, 4, 4], 'at worst a message it holds comes again, which it drops by number');
});

t.test('a sync pages through long histories', async (t) => {
  const { delivery, emitted, reads } = setup(450);
  t.equal(await delivery.sync(CONVERSATION, 0), 450);
  t.equal(emitted.length, 450);
  t.same(emitted.slice(0, 3), [1, 2, 3]);
  t.ok(reads() >= 3, 'read page by page');
});

t.test('claimNext takes only the next message, and only when nothing else is under way', async (t) => {
  const { delivery, emitted } = setup(5, 50);
  t.notOk(delivery.claimNext(message(1)), 'not for a conversation it does not follow yet');
  delivery.start(CONVERSATION, 0);
  t.ok(delivery.claimNext(message(1)), 'the next one is claimed');
  t.equal(delivery.position(CONVERSATION), 1, 'and counted as sent');
  t.notOk(delivery.claimNext(message(1)), 'a repeat is not');
  t.notOk(delivery.claimNext(message(3)), 'nor one after a hole');
  delivery.live(message(3));
  t.notOk(delivery.claimNext(message(4)), 'nor while an earlier one waits');
  delivery.live(message(2));
  t.same(emitted, [2, 3], 'live sends what waited, in order (the caller sends a claimed one)');
  t.ok(delivery.claimNext(message(4)));

  const syncing = delivery.sync(CONVERSATION, 4);
  t.notOk(delivery.claimNext(message(5)), 'nor during a sync');
  await syncing;
  t.equal(delivery.position(CONVERSATION), 5, 'the sync sent it from history');
  t.notOk(delivery.claimNext(message(5)));
  delivery.close();
  t.notOk(delivery.claimNext(message(6)), 'nor once closed');
});

/** A delivery whose history reads fail while `away` says so, with the refusal rule given. */
function flaky(stored: number, isRefusal: (err: unknown) => boolean) {
  const emitted: number[] = [];
  const errors: unknown[] = [];
  const history = Array.from({ length: stored }, (_, i) => message(i + 1));
  const chat = { away: true, refusing: false };
  const delivery = new OrderedDelivery(
    (m) => emitted.push(m.seq),
    async (_id, after, limit) => {
      if (chat.refusing) throw Object.assign(new Error('not a member'), { status: 404 });
      if (chat.away) throw new Error('The chat service cannot be reached right now.');
      return { items: history.filter((m) => m.seq > after).slice(0, limit), lastSeq: history.length };
    },
    (err) => errors.push(err),
    { isRefusal, retryFirstMs: 50 },
  );
  t.teardown(() => delivery.close());
  return { delivery, emitted, errors, chat };
}

const refusedBy404 = (err: unknown) => (err as { status?: number }).status === 404;

t.test('a gap that cannot be filled while chat is away keeps its place, and is filled after', async (t) => {
  const { delivery, emitted, errors, chat } = flaky(12, refusedBy404);
  delivery.start(CONVERSATION, 0);
  delivery.live(message(1));
  delivery.live(message(5));
  await until(() => errors.length >= 2);
  // Later messages keep arriving live; none goes out past the gap, none is taken as a new start.
  for (const seq of [9, 10, 3]) delivery.live(message(seq));
  t.notOk(delivery.claimNext(message(2)), 'nothing is claimed while the gap waits');
  t.same(emitted, [1], 'nothing past the gap went out');
  t.equal(delivery.position(CONVERSATION), 1);

  chat.away = false;
  await until(() => emitted.length === 12);
  t.same(
    emitted,
    Array.from({ length: 12 }, (_, i) => i + 1),
    'every message once, in order',
  );
  delivery.live(message(13));
  t.same(emitted.at(-1), 13, 'and live delivery goes straight on');
});

t.test('a refused gap fill (the member left) drops the conversation', async (t) => {
  const { delivery, emitted, errors, chat } = flaky(5, refusedBy404);
  chat.refusing = true;
  delivery.start(CONVERSATION, 0);
  delivery.live(message(1));
  delivery.live(message(3));
  await until(() => errors.length === 1);
  t.equal(delivery.position(CONVERSATION), undefined, 'no longer followed');
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.equal(errors.length, 1, 'and not read again');
  t.same(emitted, [1]);
});

t.test('a sync that fails while a gap waits leaves the gap to be filled later', async (t) => {
  const { delivery, emitted, chat } = flaky(6, refusedBy404);
  delivery.start(CONVERSATION, 0);
  delivery.live(message(1));
  delivery.live(message(4));
  await t.rejects(delivery.sync(CONVERSATION, 1));
  chat.away = false;
  await until(() => emitted.length === 6);
  t.same(emitted, [1, 2, 3, 4, 5, 6]);
});

t.test('behind reads a lost message at once, and nothing when the socket is current', async (t) => {
  const { delivery, emitted, reads } = setup(2, 20);
  delivery.start(CONVERSATION, 0);
  delivery.live(message(1));
  // Message 2 went astray: nothing live follows it, so only `behind` can bring it.
  delivery.behind(CONVERSATION, 2);
  // A second word while the first read runs starts no second read.
  delivery.behind(CONVERSATION, 2);
  await until(() => emitted.length === 2);
  t.same(emitted, [1, 2]);
  t.equal(reads(), 1, 'one read');
  delivery.behind(CONVERSATION, 2);
  delivery.behind('c_000000000000000000000009', 5);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(reads(), 1, 'a current socket, or a conversation it does not follow, reads nothing');
  delivery.live(message(2));
  delivery.live(message(3));
  t.same(emitted, [1, 2, 3], 'what follows goes out live, once');
});
