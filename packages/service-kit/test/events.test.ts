import t, { type Test } from 'tap';
import { z } from 'zod';
import { AppError, createHttpApp, createLogger, finishHttpApp, onEvent } from '../src/index';
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
