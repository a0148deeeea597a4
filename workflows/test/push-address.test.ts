import t from 'tap';
import { generateVAPIDKeys } from 'web-push';
import type { PushJob } from '../src/activities/notify-types';
import { createPushActivities } from '../src/activities/push';
import { isPublicAddress, publicOnlyLookup } from '../src/activities/push-request';
import { startPushEndpoint } from '../../test/support/push-endpoint';
import { runAttempt } from './activity-attempt';
import { fakeNotifyService } from './notify-ledger-fake';

// A push endpoint is a URL any signed-in user names. The worker must post only to public
// addresses, whatever the name resolves to when the push is made.

t.test('only public addresses pass', async (t) => {
  const refused = [
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    'fc00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::10.0.0.1',
    '64:ff9b::a00:1',
    '2001:db8::1',
    'not an address',
  ];
  for (const address of refused) t.notOk(isPublicAddress(address), `${address} is refused`);
  const allowed = ['8.8.8.8', '142.250.185.67', '172.32.0.1', '2607:f8b0:4005:80b::200a', '::ffff:8.8.8.8'];
  for (const address of allowed) t.ok(isPublicAddress(address), `${address} passes`);
});

t.test('a name that resolves to loopback is refused by the lookup', async (t) => {
  const lookup = publicOnlyLookup(false);
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
    lookup('localhost', { family: 0 }, (error) => resolve(error)),
  );
  t.match(err, { code: 'PUSH_ADDRESS_REFUSED', message: /localhost resolves to/ });
});

const vapid = { subject: 'mailto:ops@p.test', ...generateVAPIDKeys() };

t.test('a push to a private address is never posted, and is not retried', async (t) => {
  const push = await startPushEndpoint();
  t.teardown(() => push.close());
  const service = fakeNotifyService();
  const { sendPush } = createPushActivities({ notifyService: service.client, vapid, pushTimeoutMs: 5_000 });
  const subscriber = push.subscribe();
  const port = new URL(subscriber.endpoint).port;
  const notification = {
    conversationId: 'c1',
    title: 'Ada',
    body: 'hi',
    url: 'http://x.test/c/c1',
    messageIds: ['m1'],
  };
  const through = (endpoint: string): PushJob => ({
    channel: 'push',
    subscriptions: [{ id: subscriber.id, endpoint, keys: subscriber.keys }],
    notifications: [notification],
  });

  // By name (the subscription route accepts DNS names), and by an address written in the URL.
  const endpoints = [
    subscriber.endpoint.replace('127.0.0.1', 'localhost'),
    subscriber.endpoint,
    `http://[::ffff:127.0.0.1]:${port}/push/${subscriber.id}`,
  ];
  for (const [i, endpoint] of endpoints.entries()) {
    const failure = await runAttempt({}, () => sendPush(`k${i}`, 'u', through(endpoint))).then(
      () => null,
      (err: unknown) => err,
    );
    t.match(failure, { nonRetryable: true, type: 'PushFailed' }, `${endpoint}: failed for good`);
    t.match(service.sends.get(`k${i}`), { state: 'failed', reason: /not a public address/ });
  }
  t.same(push.posts, [], 'the push endpoint was never reached');
});
