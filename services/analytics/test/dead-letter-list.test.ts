import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import t from 'tap';
import { mountDeadLetters } from '../src/dead-letters/routes';
import type { DeadLetterStore } from '../src/dead-letters/store';

// The list the gateway's operator endpoint forwards to takes no options: one it does not know is
// refused rather than ignored.

const APP_TOKEN = 'app-token-of-the-test';

t.test('the dead-letter list takes no query', async (t) => {
  let listed = 0;
  const store = {
    list: async () => {
      listed++;
      return [];
    },
  } as unknown as DeadLetterStore;
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  mountDeadLetters(app, store);
  finishHttpApp(app);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as { port: number };
  const list = async (query: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/internal/v1/dead-letters${query}`, {
      headers: { 'dapr-api-token': APP_TOKEN },
    });
    return { status: res.status, body: (await res.json()) as { code?: string } };
  };

  for (const query of ['?limit=abc', '?x=1', '?topic=../../x']) {
    const answer = await list(query);
    t.equal(answer.status, 400, query);
    t.equal(answer.body.code, 'VALIDATION_FAILED', query);
  }
  t.equal(listed, 0, 'the store was not read');
  t.same(await list(''), { status: 200, body: { deadLetters: [] } });
});
