import { type Sidecar, createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import type { RequestHandler } from 'express';
import t, { type Test } from 'tap';
import type { SearchBackend } from '../src/engine/types';
import type { MembershipSource } from '../src/membership/member-conversations';
import { messageSearchRoutes } from '../src/messages/search-routes';
import { peopleSearchRoutes } from '../src/people/people-routes';
import { rawCaller } from '../../../test/support/raw-request';

// The searches read their query and nothing else: a body sent with one is refused, not ignored.

const APP_TOKEN = 'app-token-of-the-test';

async function searchApp(t: Test) {
  const asked: string[] = [];
  const answering = <T>(answer: unknown) =>
    new Proxy(
      {},
      {
        get: (_target, name: string) => async () => {
          asked.push(name);
          return answer;
        },
      },
    ) as T;
  const signedIn: RequestHandler = (req, _res, next) => {
    req.principal = { userId: 'u_ada', sessionId: 's_1', roles: [] };
    next();
  };
  const backend = answering<SearchBackend>([]);
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.use(
    messageSearchRoutes(backend, answering<MembershipSource>([]), signedIn),
    peopleSearchRoutes(backend, answering<Sidecar>({}), signedIn),
  );
  finishHttpApp(app);
  // node:http rather than fetch, which will not send a body with a GET.
  const request = await rawCaller(t, app, { 'dapr-api-token': APP_TOKEN });
  const call = (path: string, body?: unknown) => request('GET', path, body);
  return { call, asked };
}

for (const path of ['/v1/search/messages?q=hello', '/v1/search/people?q=ada']) {
  t.test(`GET ${path} takes no body`, async (t) => {
    const { call, asked } = await searchApp(t);
    t.same(await call(path, { perPage: 5 }), { status: 400, code: 'VALIDATION_FAILED' });
    t.same(asked, [], 'nothing was searched');
    t.equal((await call(path)).status, 200, 'the plain search works');
    t.equal((await call(path, {})).status, 200, 'an empty JSON object is still accepted');
  });
}
