import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import type { RequestHandler } from 'express';
import t, { type Test } from 'tap';
import { conversationRoutes } from '../src/conversations/routes';
import type { Conversations } from '../src/conversations/service';
import { messageRoutes } from '../src/messages/routes';
import type { Messages } from '../src/messages/service';
import { receiptRoutes } from '../src/receipts/routes';
import type { Receipts } from '../src/receipts/service';
import { rawCaller } from '../../../test/support/raw-request';

// The conversation, message and receipt routes take only what they read: an unknown query option
// or a body on a route that reads none is refused before anything changes, rather than ignored.
// The same routers serve `/v1` and the sidecar's `/internal/v1/users/:userId`.

const APP_TOKEN = 'app-token-of-the-test';
const CONVERSATION = `c_${'a'.repeat(24)}`;
const MESSAGE = `m_${'a'.repeat(24)}_7`;
const MEMBERS = `/v1/conversations/${CONVERSATION}/members/u_bob`;

/** A fake whose every method records its name in `done` and answers what `answers` gives. */
function recorder<T>(done: string[], answers: Record<string, unknown> = {}): T {
  return new Proxy(
    {},
    {
      get: (_target, name: string) => async () => {
        done.push(name);
        return answers[name] ?? {};
      },
    },
  ) as T;
}

async function chat(t: Test) {
  const done: string[] = [];
  const signedIn: RequestHandler = (req, _res, next) => {
    req.principal = { userId: 'u_alice', sessionId: 's_1', roles: [] };
    next();
  };
  const conversations = recorder<Conversations>(done, { openDirect: { view: {}, created: true } });
  const messages = recorder<Messages>(done, { send: { message: {}, duplicate: false } });
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.use(
    '/v1',
    conversationRoutes(conversations, signedIn),
    messageRoutes(messages, signedIn),
    receiptRoutes(recorder<Receipts>(done), signedIn),
  );
  finishHttpApp(app);
  // node:http rather than fetch, which will not send a body with a GET.
  const call = await rawCaller(t, app, { 'dapr-api-token': APP_TOKEN });
  return { call, done };
}

const refused = { status: 400, code: 'VALIDATION_FAILED' };

/** Routes that read neither a query nor a body, with the status of their normal answer. */
const noInput: [method: string, path: string, status: number][] = [
  ['GET', `/v1/conversations/${CONVERSATION}`, 200],
  ['DELETE', MEMBERS, 204],
  ['GET', `/v1/messages/${MESSAGE}`, 200],
  ['DELETE', `/v1/messages/${MESSAGE}`, 200],
  ['PUT', `/v1/messages/${MESSAGE}/reactions/%F0%9F%91%8D`, 200],
  ['DELETE', `/v1/messages/${MESSAGE}/reactions/%F0%9F%91%8D`, 200],
  ['GET', `/v1/messages/${MESSAGE}/receipts`, 200],
];

for (const [method, path, status] of noInput) {
  t.test(`${method} ${path} takes no query and no body`, async (t) => {
    const { call, done } = await chat(t);
    t.same(await call(method, `${path}?x=1`), refused, 'a stray query is refused');
    t.same(await call(method, path, { x: 1 }), refused, 'a stray body is refused');
    t.same(await call(method, path, []), refused, 'a body that is not an object is refused');
    t.same(done, [], 'nothing was read or changed');
    t.equal((await call(method, path)).status, status, 'the plain call works');
    t.equal((await call(method, path, {})).status, status, 'an empty JSON object is still accepted');
  });
}

/** Routes that read a body but no query, each with a body it accepts. */
const bodyOnly: [method: string, path: string, body: unknown, status: number][] = [
  ['POST', '/v1/conversations', { type: 'direct', userId: 'u_bob' }, 201],
  ['PATCH', `/v1/conversations/${CONVERSATION}`, { name: 'Renamed' }, 200],
  ['PUT', `/v1/conversations/${CONVERSATION}/settings`, { muted: true }, 200],
  ['POST', `/v1/conversations/${CONVERSATION}/members`, { userIds: ['u_bob'] }, 200],
  ['PATCH', MEMBERS, { role: 'admin' }, 200],
  ['PUT', `/v1/conversations/${CONVERSATION}/owner`, { userId: 'u_bob' }, 200],
  ['POST', `/v1/conversations/${CONVERSATION}/messages`, { clientMessageId: 'client-1', text: 'hi' }, 201],
  ['PATCH', `/v1/messages/${MESSAGE}`, { text: 'edited' }, 200],
  ['POST', `/v1/conversations/${CONVERSATION}/receipts`, { kind: 'read', seq: 7 }, 200],
];

for (const [method, path, body, status] of bodyOnly) {
  t.test(`${method} ${path} takes no query`, async (t) => {
    const { call, done } = await chat(t);
    t.same(await call(method, `${path}?x=1`, body), refused, 'a stray query is refused');
    t.same(done, [], 'nothing was read or changed');
    t.equal((await call(method, path, body)).status, status, 'the plain call works');
  });
}

/** Routes that read a query but no body. */
for (const path of ['/v1/conversations?limit=5', `/v1/conversations/${CONVERSATION}/messages?limit=5`]) {
  t.test(`GET ${path} takes no body`, async (t) => {
    const { call, done } = await chat(t);
    t.same(await call('GET', path, { x: 1 }), refused, 'a stray body is refused');
    t.same(done, [], 'nothing was read');
    t.equal((await call('GET', path)).status, 200, 'the plain call works');
  });
}
