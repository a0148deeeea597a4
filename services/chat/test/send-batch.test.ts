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
  const send: Messages['send'] = async (userId, conversationId, input) => {
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
  return (texts: string[]) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'dapr-api-token': APP_TOKEN },
      body: JSON.stringify({
        sends: texts.map((text, i) => ({
          userId: 'alice',
          conversationId: CONVERSATION,
          message: { clientMessageId: `client-${i}-0000`, text },
        })),
      }),
    });
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
});
