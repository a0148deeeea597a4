import type { AddressInfo } from 'node:net';
import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import t, { type Test } from 'tap';
import { ConflictError } from '../src/errors';
import { sendBatchRoutes } from '../src/messages/send-batch';
import type { Messages } from '../src/messages/service';

const APP_TOKEN = 'a'.repeat(32);
const CONVERSATION = `c_${'0'.repeat(24)}`;

/** The batch route in front of sends that answer as each text says, over real HTTP. */
async function routeOver(t: Test, answerWithinMs: number) {
  const logger = createLogger('test', 'silent');
  const signals: (AbortSignal | undefined)[] = [];
  const send: Messages['send'] = async (userId, conversationId, input, signal) => {
    signals.push(signal);
    if (input.text === 'slow') await new Promise((resolve) => setTimeout(resolve, 600));
    if (input.text === 'taken') throw new ConflictError('CHAT_CLIENT_MESSAGE_ID_TAKEN', 'taken');
    const message = { id: `m_${input.clientMessageId}`, conversationId, senderId: userId, text: input.text };
    return { message: message as never, duplicate: false };
  };
  const app = createHttpApp({ logger, appApiToken: APP_TOKEN });
  app.use(sendBatchRoutes({ send }, logger, { answerWithinMs }));
  finishHttpApp(app);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/internal/v1/message-sends`;
  const post = (texts: string[], signal?: AbortSignal) =>
    fetch(url, {
      method: 'POST',
      signal: signal ?? null,
      headers: { 'content-type': 'application/json', 'dapr-api-token': APP_TOKEN },
      body: JSON.stringify({
        sends: texts.map((text, i) => ({
          userId: 'alice',
          conversationId: CONVERSATION,
          message: { clientMessageId: `client-${i}-0000`, text },
        })),
      }),
    });
  return Object.assign(post, { signals });
}

t.test('each send of a batch is answered on its own', async (t) => {
  const post = await routeOver(t, 2_000);
  const res = await post(['hello', 'taken', '']);
  t.equal(res.status, 200);
  t.match(await res.json(), {
    results: [
      { status: 201, message: { text: 'hello', senderId: 'alice' } },
      { status: 409, code: 'CHAT_CLIENT_MESSAGE_ID_TAKEN' },
      { status: 400, code: 'VALIDATION_FAILED' },
    ],
  });
});

t.test('a slow send is answered pending, and holds the others up only so long', async (t) => {
  const post = await routeOver(t, 100);
  const started = Date.now();
  const res = await post(['hello', 'slow']);
  const took = Date.now() - started;
  t.match(await res.json(), {
    results: [
      { status: 201, message: { text: 'hello' } },
      { status: 202, code: 'CHAT_SEND_PENDING' },
    ],
  });
  t.ok(took < 500, `answered after ${took} ms, before the slow send finished`);
  // Answered is not abandoned: the pending send goes on, and the caller asks for it again.
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(
    post.signals.map((signal) => signal?.aborted),
    [false, false],
  );
});

t.test('a batch whose caller gave up tells its sends, which stop where they wait', async (t) => {
  const post = await routeOver(t, 2_000);
  const caller = new AbortController();
  const answer = post(['slow'], caller.signal).catch((err: Error) => err);
  while (post.signals.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  caller.abort();
  await answer;
  const [signal] = post.signals as [AbortSignal];
  while (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 5));
  t.match(signal.reason, { code: 'REQUEST_ABANDONED' });
});
