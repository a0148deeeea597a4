import express from 'express';
import t from 'tap';
import { abandonedSignal } from '../src/index';
import { serve } from './helpers';

/** An app whose one route hands each request's signal to the test and answers when told to. */
function watchedApp() {
  const seen: { signal: AbortSignal; answer: () => void }[] = [];
  const app = express();
  app.get('/slow', (_req, res) => {
    seen.push({ signal: abandonedSignal(res), answer: () => res.json({ ok: true }) });
  });
  return { app, seen };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
};

t.test('the signal aborts when the caller closes the request before the answer', async (t) => {
  const { app, seen } = watchedApp();
  const base = await serve(t, app);
  const caller = new AbortController();
  const request = fetch(`${base}/slow`, { signal: caller.signal }).catch((err: Error) => err);
  await until(() => seen.length === 1);
  const { signal } = seen[0]!;
  t.equal(signal.aborted, false);

  caller.abort();
  await request;
  await until(() => signal.aborted);
  t.match(signal.reason, { code: 'REQUEST_ABANDONED', status: 499 });
});

t.test('the signal stays quiet for a request answered in full', async (t) => {
  const { app, seen } = watchedApp();
  const base = await serve(t, app);
  const request = fetch(`${base}/slow`);
  await until(() => seen.length === 1);
  const { signal, answer } = seen[0]!;

  answer();
  t.same(await (await request).json(), { ok: true });
  // The connection closing afterwards (keep-alive ends with the test) is no abandonment.
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(signal.aborted, false);
});

t.test('many listeners on one request signal raise no leak warning', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const { app, seen } = watchedApp();
  const base = await serve(t, app);
  const request = fetch(`${base}/slow`);
  await until(() => seen.length === 1);
  const { signal, answer } = seen[0]!;
  for (let i = 0; i < 100; i++) signal.addEventListener('abort', () => undefined, { once: true });
  answer();
  await (await request).json();
  await new Promise((resolve) => setImmediate(resolve));
  t.same(
    warnings.filter((w) => w.name === 'MaxListenersExceededWarning'),
    [],
  );
});
