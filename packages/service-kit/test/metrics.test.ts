import t from 'tap';
import { z } from 'zod';
import { Router } from 'express';
import { createHttpApp, createLogger, finishHttpApp, metricsMount, onEvent } from '../src/index';
import { serve } from './helpers';

const TOKEN = 'app-token-for-tests-0123456789';
const withToken = { 'dapr-api-token': TOKEN, 'content-type': 'application/json' };

function buildApp(options: { tokenOnlyUnder?: string[] } = {}) {
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: TOKEN, ...options });
  app.get('/things/:thingId', (_req, res) => res.json({ ok: true }));
  const owned = Router();
  owned.get('/notes/:noteId', (_req, res) => res.json({ ok: true }));
  app.use('/owners/:ownerId', metricsMount('/owners/:ownerId'), owned);
  onEvent(app, '/dapr/events/thing-made', z.object({ name: z.string() }), async () => undefined);
  finishHttpApp(app);
  return app;
}

t.test('a back-end app serves Prometheus metrics on loopback without the app token', async (t) => {
  const base = await serve(t, buildApp());
  await fetch(`${base}/things/t-123`, { headers: withToken });
  await fetch(`${base}/nowhere/t-456`, { headers: withToken });
  await fetch(`${base}/owners/o-789/notes/n-1`, { headers: withToken });
  const res = await fetch(`${base}/metrics`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /text\/plain/);
  const text = await res.text();
  t.match(
    text,
    /http_request_duration_seconds_count\{[^}]*method="GET"[^}]*route="\/things\/:thingId"[^}]*status="200"/,
  );
  t.match(text, /route="unmatched"[^}]*status="404"/, 'an unknown path is one series');
  t.match(text, /route="\/owners\/:ownerId\/notes\/:noteId"/, 'a mount with parameters by its template');
  t.notMatch(text, /t-123|t-456|o-789/, 'ids never become labels');
  t.match(text, /process_cpu_user_seconds_total/, "Node's own process metrics");
});

t.test('a public app does not serve metrics to the world', async (t) => {
  const base = await serve(t, buildApp({ tokenOnlyUnder: ['/internal', '/dapr'] }));
  t.equal((await fetch(`${base}/metrics`)).status, 404);
});

t.test('pub/sub deliveries are counted by outcome, with their lag', async (t) => {
  const base = await serve(t, buildApp());
  const deliver = (data: unknown) =>
    fetch(`${base}/dapr/events/thing-made`, {
      method: 'POST',
      headers: withToken,
      body: JSON.stringify({
        id: crypto.randomUUID(),
        topic: 'thing.made',
        source: 'test',
        time: new Date(Date.now() - 2_000).toISOString(),
        data,
      }),
    });
  await deliver({ name: 'ok' });
  await deliver({ wrong: true });
  const text = await (await fetch(`${base}/metrics`)).text();
  t.match(text, /pubsub_deliveries_total\{[^}]*topic="thing.made"[^}]*outcome="SUCCESS"[^}]*\} 1/);
  t.match(text, /pubsub_deliveries_total\{[^}]*topic="thing.made"[^}]*outcome="DROP"[^}]*\} 1/);
  t.match(text, /pubsub_delivery_lag_seconds_bucket\{[^}]*le="1"[^}]*topic="thing.made"[^}]*\} 0/);
  t.match(text, /pubsub_delivery_lag_seconds_count\{[^}]*topic="thing.made"[^}]*\} 2/);
});
