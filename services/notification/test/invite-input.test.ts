import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import type { RequestHandler } from 'express';
import t, { type Test } from 'tap';
import { inviteRoutes } from '../src/invites/invite-routes';
import type { Invites } from '../src/invites/invite-service';
import { rawCaller } from '../../../test/support/raw-request';

// The invite routes take only what they read: an unknown query option, or a body on a route that
// reads none (an accept, a revoke), is refused before the invite is read or changed.

const APP_TOKEN = 'app-token-of-the-test';
const INVITE = 'i'.repeat(22);
const GROUP = `c_${'a'.repeat(24)}`;

async function inviteApp(t: Test) {
  const done: string[] = [];
  // Every method records its name and answers an empty view.
  const invites = new Proxy(
    {},
    {
      get: (_target, name: string) => async () => {
        done.push(name);
        return name === 'create' ? { view: { id: INVITE }, created: true } : {};
      },
    },
  ) as Invites;
  const signedIn: RequestHandler = (req, _res, next) => {
    req.principal = { userId: 'u_ada', sessionId: 's_1', roles: [] };
    next();
  };
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.use(inviteRoutes(invites, signedIn));
  finishHttpApp(app);
  // node:http rather than fetch, which will not send a body with a GET.
  const call = await rawCaller(t, app, { 'dapr-api-token': APP_TOKEN });
  return { call, done };
}

const refused = { status: 400, code: 'VALIDATION_FAILED' };

const noInput = [
  `/v1/invites/${INVITE}`,
  ...['accept', 'decline', 'revoke', 'approve', 'reject'].map((action) => `/v1/invites/${INVITE}/${action}`),
];

for (const path of noInput) {
  const method = path.endsWith(INVITE) ? 'GET' : 'POST';
  t.test(`${method} ${path} takes no query and no body`, async (t) => {
    const { call, done } = await inviteApp(t);
    t.same(await call(method, `${path}?x=1`), refused, 'a stray query is refused');
    t.same(await call(method, path, { x: 1 }), refused, 'a stray body is refused');
    t.same(await call(method, path, []), refused, 'a body that is not an object is refused');
    t.same(done, [], 'the invite was neither read nor changed');
    t.equal((await call(method, path)).status, 200, 'the plain call works');
    t.equal((await call(method, path, {})).status, 200, 'an empty JSON object is still accepted');
  });
}

const bodyOnly: [path: string, body: unknown, status: number][] = [
  ['/v1/invites', { conversationId: GROUP, email: 'kim@example.test' }, 201],
  ['/v1/invites/accept-link', { token: 't'.repeat(87) }, 200],
];

for (const [path, body, status] of bodyOnly) {
  t.test(`POST ${path} takes no query`, async (t) => {
    const { call, done } = await inviteApp(t);
    t.same(await call('POST', `${path}?x=1`, body), refused, 'a stray query is refused');
    t.same(done, [], 'nothing was read or changed');
    t.equal((await call('POST', path, body)).status, status, 'the plain call works');
  });
}

t.test('GET /v1/invites takes no body', async (t) => {
  const { call, done } = await inviteApp(t);
  t.same(await call('GET', '/v1/invites?status=all', { x: 1 }), refused, 'a stray body is refused');
  t.same(done, [], 'nothing was read');
  t.equal((await call('GET', '/v1/invites?status=all')).status, 200, 'the plain call works');
});
