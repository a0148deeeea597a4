import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import { UnauthorizedError } from '@parley/service-kit';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { addressKey, trustProxies, trustedProxiesSchema } from '../src/client-address';
import { rateLimitRoutes } from '../src/rate-limits/rate-limit-routes';
import { rateLimitSettings } from '../src/rate-limits/settings';
import { redisServer } from './private-redis';
import { onLoopback } from './loopback';

// Behind a reverse proxy every request arrives from the proxy's address. The registration budget
// (2 per address here) must count each client apart when the proxy is trusted, and must ignore
// the header when it is not, or a client would pick a fresh address for each try.

const logger = createLogger('test', 'silent');

async function gateway(t: Test, proxies: string) {
  const redisProcess = await redisServer(t);
  t.teardown(() => redisProcess.kill());
  const redis = new Redis(redisProcess.port, '127.0.0.1');
  t.teardown(() => redis.quit());
  const settings = {
    ...Object.fromEntries(Object.keys(rateLimitSettings).map((name) => [name, 100])),
    RATE_LIMIT_REGISTER_PER_IP: 2,
  } as Parameters<typeof rateLimitRoutes>[1];
  const app = createHttpApp({ logger, appApiToken: 'token-of-the-test-app', tokenOnlyUnder: ['/internal'] });
  trustProxies(app, trustedProxiesSchema.parse(proxies));
  app.use(
    '/api/v1',
    rateLimitRoutes(
      redis,
      settings,
      async (login) => login,
      {
        verify: () => Promise.reject(new UnauthorizedError('AUTH_TOKEN_INVALID', 'not used here')),
      },
      logger,
    ),
  );
  app.post('/api/v1/accounts', (_req, res) => res.status(201).json({}));
  finishHttpApp(app);
  const url = `http://127.0.0.1:${await onLoopback(t, app)}/api/v1/accounts`;
  return async (forwardedFor?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (forwardedFor) headers['x-forwarded-for'] = forwardedFor;
    const res = await fetch(url, { method: 'POST', headers, body: '{}' });
    return res.status;
  };
}

t.test('without trusted proxies X-Forwarded-For is ignored', async (t) => {
  const register = await gateway(t, '');
  t.equal(await register('203.0.113.1'), 201);
  t.equal(await register('203.0.113.2'), 201);
  t.equal(await register('203.0.113.3'), 429, 'a new forwarded address buys no new try');
  t.equal(await register(), 429);
});

t.test('behind a trusted proxy each client has its own budget', async (t) => {
  const register = await gateway(t, '127.0.0.1');
  t.equal(await register('203.0.113.1'), 201);
  t.equal(await register('203.0.113.1'), 201);
  t.equal(await register('203.0.113.1'), 429, 'the third try of one client is refused');
  t.equal(await register('203.0.113.2'), 201, 'another client behind the same proxy is not');
  t.equal(
    await register('198.51.100.7, 203.0.113.1'),
    429,
    'an address the client prepended itself is not believed: the proxy saw 203.0.113.1',
  );
  t.equal(await register('203.0.113.2, 127.0.0.1'), 201, 'a chain of trusted proxies is walked');
  t.equal(await register('::ffff:203.0.113.2'), 429, 'an IPv4 address written as IPv6 is the same client');
  t.equal(await register('not-an-ip'), 201);
  t.equal(await register('x'.repeat(4000)), 201);
  t.equal(await register('unknown'), 429, 'what is no address shares one budget');
});

t.test('address keys', async (t) => {
  t.equal(addressKey('::ffff:203.0.113.9'), '203.0.113.9');
  t.equal(addressKey('::FFFF:203.0.113.9'), '203.0.113.9');
  t.equal(addressKey('2001:DB8::1'), '2001:db8::1');
  t.equal(addressKey('203.0.113.9'), '203.0.113.9');
  t.equal(addressKey('[2001:db8::1]:443'), 'not-an-address');
  for (const spelling of ['0:0:0:0:0:ffff:203.0.113.9', '::ffff:cb00:7109', '::ffff:0:203.0.113.9']) {
    t.equal(addressKey(spelling), '203.0.113.9', `${spelling} is 203.0.113.9`);
  }
  t.equal(addressKey('2001:0db8:0000::0001'), '2001:db8::1');
  t.equal(addressKey('fe80::7%eth0'), 'fe80::7', 'a zone id is no other address');
  t.equal(addressKey(undefined), 'not-an-address');
});

t.test('the setting takes addresses, prefixes and range names only', async (t) => {
  t.same(trustedProxiesSchema.parse(' 10.0.0.0/8, loopback ,fd00::/8,192.0.2.1'), [
    '10.0.0.0/8',
    'loopback',
    'fd00::/8',
    '192.0.2.1',
  ]);
  t.same(trustedProxiesSchema.parse(''), []);
  for (const bad of [
    '0.0.0.0/0',
    '::/0',
    '::ffff:0.0.0.0/96',
    '::ffff:0:0/96',
    '0.0.0.0/1',
    '::/1',
    '1.2.3.4/01',
    'fe80::1%eth0',
    '0.0.0.0',
    '::',
    'proxy.example.com',
    '10.0.0.0/33',
    '::1/129',
    '10.0.0.1/8/1',
    '*',
    '10.0.0.0/',
  ]) {
    t.notOk(trustedProxiesSchema.safeParse(bad).success, `${bad} is refused`);
  }
});
