import t, { type Test } from 'tap';
import { z } from 'zod';
import {
  AppError,
  type EventEnvelope,
  EventParking,
  type EventParkingOptions,
  createHttpApp,
  createLogger,
  finishHttpApp,
  onEvent,
} from '../src/index';
import { privateDb } from './ferretdb';
import { serve } from './helpers';

const TOKEN = 'app-token-for-tests-0123456789';
const ROUTE = '/dapr/events/thing';
const logger = createLogger('test', 'silent');

const db = privateDb('parley_parking_test');

/** A subscriber whose handler fails while `failing` holds, on a clock the test moves. */
async function subscriber(t: Test, options: Partial<EventParkingOptions> = {}) {
  await db().collection('parked_events').deleteMany({});
  const clock = { now: 1_000_000 };
  const deadLetters: EventEnvelope<unknown>[] = [];
  const state = { failing: new Set<number>(), rejecting: new Set<number>(), applied: [] as number[] };
  const parking = new EventParking(
    db(),
    async (event) => {
      deadLetters.push(event);
    },
    logger,
    { firstDelayMs: 1_000, maxDelayMs: 4_000, maxRetries: 3, now: () => clock.now, ...options },
  );
  await parking.init();
  const app = createHttpApp({ logger, appApiToken: TOKEN });
  onEvent(
    app,
    ROUTE,
    z.object({ n: z.number() }).strict(),
    async ({ data }) => {
      if (state.rejecting.has(data.n)) throw new AppError('THING_INVALID', 422, 'no');
      if (state.failing.has(data.n)) throw new Error('database away');
      state.applied.push(data.n);
    },
    { parking },
  );
  finishHttpApp(app);
  const base = await serve(t, app);
  const post = async (body: unknown) => {
    const res = await fetch(`${base}${ROUTE}`, {
      method: 'POST',
      headers: { 'dapr-api-token': TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as { status?: string; statuses?: { entryId: string; status: string }[] };
  };
  return { parking, clock, deadLetters, state, post };
}

const cloudEvent = (id: string, n: number) => ({
  id,
  topic: 'thing',
  source: 'test',
  specversion: '1.0',
  data: { n },
});
const bulk = (...events: ReturnType<typeof cloudEvent>[]) => ({
  entries: events.map((event, index) => ({
    entryId: `entry-${index}`,
    event,
    contentType: 'application/cloudevents+json',
  })),
  topic: 'thing',
});

t.test('a failed entry of a batch is kept and answered SUCCESS; the others go through', async (t) => {
  const { parking, clock, state, post } = await subscriber(t);
  state.failing.add(2);
  const answer = await post(bulk(cloudEvent('e1', 1), cloudEvent('e2', 2), cloudEvent('e3', 3)));
  t.same(
    answer.statuses?.map((s) => s.status),
    ['SUCCESS', 'SUCCESS', 'SUCCESS'],
    'nothing for the sidecar to retry',
  );
  t.same(state.applied.sort(), [1, 3]);
  t.equal(await parking.waiting(), 1, 'the failed event waits in the store');

  t.equal(await parking.retryDue(), 0, 'not due before its first wait is over');
  clock.now += 1_000;
  state.failing.clear();
  t.equal(await parking.retryDue(), 1);
  t.same(state.applied.sort(), [1, 2, 3], 'applied on its retry');
  t.equal(await parking.waiting(), 0, 'and removed');
});

t.test('a redelivery of a kept event is kept once', async (t) => {
  const { parking, state, post } = await subscriber(t);
  state.failing.add(5);
  await post(cloudEvent('e5', 5));
  t.same(await post(cloudEvent('e5', 5)), { status: 'SUCCESS' });
  t.equal(await parking.waiting(), 1);
});

t.test('retries wait longer each time, then go to the dead-letter topic', async (t) => {
  const { parking, clock, deadLetters, state, post } = await subscriber(t);
  state.failing.add(7);
  await post(cloudEvent('e7', 7));
  const waits = [1_000, 2_000, 4_000];
  for (const [index, wait] of waits.entries()) {
    clock.now += wait - 1;
    t.equal(await parking.retryDue(), 0, `retry ${index + 1} not before ${wait} ms`);
    clock.now += 1;
    t.equal(await parking.retryDue(), 1, `retry ${index + 1} after ${wait} ms`);
  }
  t.equal(deadLetters.length, 1, 'dead-lettered after the third retry failed');
  t.equal(deadLetters[0]?.id, 'e7', 'under its own id');
  t.same(deadLetters[0]?.data, { n: 7 });
  t.equal(await parking.waiting(), 0);
  t.same(state.applied, []);
});

t.test('an event rejected on a retry is dead-lettered at once', async (t) => {
  const { parking, clock, deadLetters, state, post } = await subscriber(t);
  state.failing.add(8);
  await post(cloudEvent('e8', 8));
  state.failing.clear();
  state.rejecting.add(8);
  clock.now += 1_000;
  await parking.retryDue();
  t.equal(deadLetters.length, 1);
  t.equal(await parking.waiting(), 0);
});

t.test('a claimed event is hidden from other instances until its lease runs out', async (t) => {
  const { parking, clock, state, post } = await subscriber(t, { leaseMs: 30_000 });
  state.failing.add(9);
  await post(cloudEvent('e9', 9));
  clock.now += 1_000;
  // Claimed by an instance that died mid-retry: nobody else takes it before the lease ends.
  const claimed = await db()
    .collection('parked_events')
    .findOneAndUpdate({}, { $set: { dueAt: new Date(clock.now + 30_000) } }, { returnDocument: 'after' });
  t.ok(claimed);
  t.equal(await parking.retryDue(), 0);
  clock.now += 30_000;
  state.failing.clear();
  t.equal(await parking.retryDue(), 1, 'taken again once the lease ran out');
  t.same(state.applied, [9]);
});

t.test('an event that cannot be kept is left to the sidecar', async (t) => {
  const { parking, state, post } = await subscriber(t);
  state.failing.add(4);
  // Parking refuses: the event must come back from the sidecar rather than vanish.
  parking.park = async () => {
    throw new Error('store away');
  };
  t.same(await post(cloudEvent('e4', 4)), { status: 'RETRY' });
  const answer = await post(bulk(cloudEvent('e10', 10), cloudEvent('e4', 4)));
  t.same(
    answer.statuses?.map((s) => s.status),
    ['SUCCESS', 'RETRY'],
  );
});

t.test('polling retries due events on its own and stops cleanly', async (t) => {
  const { parking, state, post } = await subscriber(t, { now: Date.now, firstDelayMs: 50, pollMs: 20 });
  state.failing.add(11);
  await post(cloudEvent('e11', 11));
  state.failing.clear();
  parking.start();
  t.teardown(() => parking.stop());
  const deadline = Date.now() + 10_000;
  while (state.applied.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.same(state.applied, [11]);
  await parking.stop();
  t.equal(await parking.waiting(), 0);
});
