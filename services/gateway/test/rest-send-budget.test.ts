import { UnauthorizedError, createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { rateLimitRoutes } from '../src/rate-limits/rate-limit-routes';
import { rateLimitSettings } from '../src/rate-limits/settings';
import { redisServer } from './private-redis';
import { onLoopback } from './loopback';

// A message sent or edited over REST spends from the same per-user budget as the user's sockets. Only a
// verified user spends, so a token forged in someone's name cannot use up their budget.

const logger = createLogger('test', 'silent');

async function gateway(t: Test) {
  const redisProcess = await redisServer(t);
  t.teardown(() => redisProcess.kill());
  const redis = new Redis(redisProcess.port, '127.0.0.1');
  t.teardown(() => redis.quit());
  // Ready before the first request: until then the budget is kept in memory instead (see
  // SendBudget), and a first spend there would not count towards the one in Redis.
  await redis.ping();
  const settings = {
    ...Object.fromEntries(Object.keys(rateLimitSettings).map((name) => [name, 100])),
    RATE_LIMIT_SEND_BURST: 3,
  } as Parameters<typeof rateLimitRoutes>[1];
  const verifier = {
    async verify(token: string) {
      if (!token.startsWith('valid-')) throw new UnauthorizedError('AUTH_TOKEN_INVALID', 'not valid');
      return { userId: token.slice('valid-'.length), sessionId: 's_1', roles: [] };
    },
  };
  const app = createHttpApp({ logger, appApiToken: 'token-of-the-test-app', tokenOnlyUnder: ['/internal'] });
  app.use(
    '/api/v1',
    rateLimitRoutes(redis, settings, async (login) => login, verifier, logger),
  );
  app.post('/api/v1/conversations/:id/messages', (_req, res) => res.status(201).json({}));
  app.patch('/api/v1/messages/:id', (_req, res) => res.status(200).json({}));
  finishHttpApp(app);
  const base = `http://127.0.0.1:${await onLoopback(t, app)}/api/v1`;
  const headers = (token: string) => ({
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
  });
  const post = (token: string, conversationId = 'c_1') =>
    fetch(`${base}/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: headers(token),
      body: '{"text":"hi"}',
    });
  const patch = (token: string, messageId = 'm_1') =>
    fetch(`${base}/messages/${messageId}`, {
      method: 'PATCH',
      headers: headers(token),
      body: '{"text":"hi again"}',
    });
  return Object.assign(post, { patch });
}

t.test("a user's REST sends past the budget are refused 429 with Retry-After", async (t) => {
  const post = await gateway(t);
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await post('valid-u_alice', `c_${i}`)).status);
  t.same(statuses, [201, 201, 201], 'within the budget, over any conversations');

  const refused = await post('valid-u_alice');
  t.equal(refused.status, 429);
  t.ok(Number(refused.headers.get('retry-after')) >= 1, 'Retry-After says when to come back');
  t.match(refused.headers.get('content-type'), /^application\/problem\+json/);
  t.match(await refused.json(), { code: 'RATE_LIMITED' });

  t.equal((await post('valid-u_bob')).status, 201, 'another user has a budget of their own');
});

t.test('a token that does not verify spends nobody', async (t) => {
  const post = await gateway(t);
  for (let i = 0; i < 5; i++) t.equal((await post('forged-u_alice')).status, 201, 'passed on to chat');
  t.equal((await post('valid-u_alice')).status, 201, "alice's budget is whole");
});

t.test("a user's edits spend from the same budget as sends, and past it are refused 429", async (t) => {
  const post = await gateway(t);
  const statuses: number[] = [];
  for (let i = 0; i < 2; i++) statuses.push((await post.patch('valid-u_alice', `m_${i}`)).status);
  statuses.push((await post('valid-u_alice')).status);
  t.same(statuses, [200, 200, 201], 'edits and a send within the budget');

  const refused = await post.patch('valid-u_alice');
  t.equal(refused.status, 429, 'an edit past the budget goes no further');
  t.ok(Number(refused.headers.get('retry-after')) >= 1, 'Retry-After says when to come back');
  t.match(refused.headers.get('content-type'), /^application\/problem\+json/);
  t.match(await refused.json(), { code: 'RATE_LIMITED' });
  t.equal((await post('valid-u_alice')).status, 429, 'and sends are spent too');

  t.equal((await post.patch('valid-u_bob')).status, 200, 'another user has a budget of their own');
  t.equal((await post.patch('forged-u_bob')).status, 200, 'a forged token spends nobody');
});
