import t, { type Test } from 'tap';
import { z } from 'zod';
import {
  AppError,
  acknowledgeEvents,
  createHttpApp,
  createLogger,
  finishHttpApp,
  onEvent,
} from '../src/index';
import { serve } from './helpers';

const TOKEN = 'app-token-for-tests-0123456789';

async function deliver(t: Test, handler: () => Promise<void>, data: unknown) {
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: TOKEN });
  const seen: unknown[] = [];
  onEvent(app, '/dapr/events/thing', z.object({ n: z.number() }).strict(), async (event) => {
    seen.push(event.data);
    await handler();
  });
  finishHttpApp(app);
  const base = await serve(t, app);
  const res = await fetch(`${base}/dapr/events/thing`, {
    method: 'POST',
    headers: { 'dapr-api-token': TOKEN, 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({ id: 'e1', topic: 'thing', source: 'test', specversion: '1.0', data }),
  });
  return { status: res.status, outcome: ((await res.json()) as { status: string }).status, seen };
}

t.test('acknowledges an applied event with SUCCESS', async (t) => {
  const result = await deliver(t, async () => undefined, { n: 1 });
  t.equal(result.status, 200);
  t.equal(result.outcome, 'SUCCESS');
  t.same(result.seen, [{ n: 1 }]);
});

t.test('drops malformed data without calling the handler', async (t) => {
  const result = await deliver(t, async () => undefined, { n: 'one' });
  t.equal(result.outcome, 'DROP');
  t.same(result.seen, []);
});

t.test('asks for redelivery when the handler fails transiently', async (t) => {
  const result = await deliver(
    t,
    async () => {
      throw new Error('database away');
    },
    { n: 1 },
  );
  t.equal(result.outcome, 'RETRY');
});

t.test('drops an event the handler rejects as invalid', async (t) => {
  const result = await deliver(
    t,
    async () => {
      throw new AppError('THING_INVALID', 422, 'no');
    },
    { n: 1 },
  );
  t.equal(result.outcome, 'DROP');
});

t.test('a bulk delivery gets one outcome per entry, each handled as a single event', async (t) => {
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: TOKEN });
  const seen: number[] = [];
  onEvent(app, '/dapr/events/thing', z.object({ n: z.number() }).strict(), async (event) => {
    if (event.data.n === 3) throw new Error('database away');
    if (event.data.n === 4) throw new AppError('THING_INVALID', 422, 'no');
    seen.push(event.data.n);
  });
  finishHttpApp(app);
  const base = await serve(t, app);
  const cloudEvent = (id: string, data: unknown) => ({
    id,
    topic: 'thing',
    source: 'test',
    specversion: '1.0',
    data,
  });
  const res = await fetch(`${base}/dapr/events/thing`, {
    method: 'POST',
    headers: { 'dapr-api-token': TOKEN, 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'bulk-1',
      topic: 'thing',
      pubsubname: 'pubsub',
      type: 'com.dapr.event.sent.bulk',
      metadata: {},
      entries: [
        { entryId: 'a', event: cloudEvent('e1', { n: 1 }), contentType: 'application/cloudevents+json' },
        { entryId: 'b', event: JSON.stringify(cloudEvent('e2', { n: 2 })), contentType: 'application/json' },
        { entryId: 'c', event: cloudEvent('e3', { n: 3 }) },
        { entryId: 'd', event: cloudEvent('e4', { n: 4 }) },
        { entryId: 'e', event: cloudEvent('e5', { n: 'five' }) },
        { entryId: 'f', event: 'not json' },
      ],
    }),
  });
  t.equal(res.status, 200);
  const body = (await res.json()) as { statuses: { entryId: string; status: string }[] };
  t.same(body.statuses, [
    { entryId: 'a', status: 'SUCCESS' },
    { entryId: 'b', status: 'SUCCESS' },
    { entryId: 'c', status: 'RETRY' },
    { entryId: 'd', status: 'DROP' },
    { entryId: 'e', status: 'DROP' },
    { entryId: 'f', status: 'DROP' },
  ]);
  t.same(seen.sort(), [1, 2]);
});

t.test('an acknowledging route answers SUCCESS for one event and for each entry of a bulk', async (t) => {
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: TOKEN });
  acknowledgeEvents(app, '/dapr/events/ignored');
  finishHttpApp(app);
  const base = await serve(t, app);
  const post = async (body: unknown) =>
    (await (
      await fetch(`${base}/dapr/events/ignored`, {
        method: 'POST',
        headers: { 'dapr-api-token': TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json()) as unknown;
  t.same(await post({ id: 'e1', data: {} }), { status: 'SUCCESS' });
  t.same(
    await post({
      entries: [
        { entryId: 'a', event: {} },
        { entryId: 'b', event: {} },
      ],
    }),
    {
      statuses: [
        { entryId: 'a', status: 'SUCCESS' },
        { entryId: 'b', status: 'SUCCESS' },
      ],
    },
  );
});
