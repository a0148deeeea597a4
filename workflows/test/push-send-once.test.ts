import t, { type Test } from 'tap';
import { generateVAPIDKeys } from 'web-push';
import type { PushJob } from '../src/activities/notify-types';
import { createPushActivities } from '../src/activities/push';
import { type PushEndpoint, type PushSubscriber, startPushEndpoint } from '../../test/support/push-endpoint';
import { retried, runAttempt } from './activity-attempt';
import { fakeNotifyService } from './notify-ledger-fake';

// A phone that showed a notification must never show it again because the activity was retried.
// Each case runs attempts of `sendPush` against a local push service the way Temporal retries the
// activity: the next attempt starts from the heartbeat details the last one left.

const vapid = { subject: 'mailto:ops@p.test', ...generateVAPIDKeys() };
const key = 'notify-u/push/m1';

function conversation(id: string, messageIds: string[]): PushJob['notifications'][number] {
  return { conversationId: id, title: 'Ada', body: 'hello', url: `http://127.0.0.1/c/${id}`, messageIds };
}

function pushJob(subscribers: PushSubscriber[], notifications = [conversation('c1', ['m1'])]): PushJob {
  const subscriptions = subscribers.map(({ id, endpoint, keys }) => ({ id, endpoint, keys }));
  return { channel: 'push', subscriptions, notifications };
}

/** The statuses a subscriber's POSTs were answered with, in order (0: dropped unanswered). */
const postsTo = (push: PushEndpoint, subscriber: PushSubscriber) =>
  push.posts.filter((post) => post.subscriberId === subscriber.id).map((post) => post.status);

async function setUp(t: Test) {
  const push = await startPushEndpoint();
  t.teardown(() => push.close());
  const service = fakeNotifyService();
  const { sendPush } = createPushActivities({
    notifyService: service.client,
    vapid,
    pushTimeoutMs: 5_000,
    allowLoopbackHttp: true,
  });
  return { push, service, sendPush, a: push.subscribe(), b: push.subscribe() };
}

t.test('a 503 from one subscription costs the one that accepted no second push', async (t) => {
  const { push, service, sendPush, a, b } = await setUp(t);
  push.answerNext(b.id, 503);

  const { result, attempts } = await retried(() => sendPush(key, 'u', pushJob([a, b])));

  t.equal(attempts, 2, 'the 503 failed the first attempt');
  t.same(postsTo(push, a), [201], 'A was posted to exactly once');
  t.same(postsTo(push, b), [503, 201], 'B took the push on the retry');
  t.same(
    push.received.map((pushed) => pushed.subscriberId),
    [a.id, b.id],
    'each phone got the notification once',
  );
  t.same(result, { delivered: ['m1'] });
  t.same(service.outcomes, [{ key, outcome: 'sent', providerId: '2 push(es)' }], 'the outcome is sent');
  t.same(push.errors, []);
});

t.test('a retry resends only the conversations a subscription has not taken', async (t) => {
  const { push, service, sendPush, a, b } = await setUp(t);
  // B takes the first conversation, then its push service fails on the second.
  push.answerNext(b.id, 0, 500);
  const job = pushJob([a, b], [conversation('c1', ['m1']), conversation('c2', ['m2'])]);

  const { attempts } = await retried(() => sendPush(key, 'u', job));

  t.equal(attempts, 2);
  t.same(postsTo(push, a), [201, 201], 'A got each conversation once');
  t.same(postsTo(push, b), [201, 500, 201], 'B got c2 again only after the 500');
  t.same(
    push.received
      .filter((pushed) => pushed.subscriberId === b.id)
      .map((pushed) => pushed.payload.conversationId),
    ['c1', 'c2'],
  );
  t.same(service.outcomes, [{ key, outcome: 'sent', providerId: '4 push(es)' }]);
});

t.test('a worker that died after A accepted leaves a heartbeat that spares A the retry', async (t) => {
  const { push, service, sendPush, a, b } = await setUp(t);
  const stalled = push.stallNext(b.id);
  const job = pushJob([a, b]);

  // The worker dies while B's push is under way: only what it heartbeated until then reaches the
  // next attempt. Whatever the abandoned attempt does afterwards is never seen.
  let left: unknown;
  let heartbeatsAtDeath = 0;
  await runAttempt({}, async (attempt) => {
    const sending = sendPush(key, 'u', job).catch((err: unknown) => err);
    await stalled.arrived;
    heartbeatsAtDeath = attempt.heartbeats.length;
    left = attempt.heartbeats.at(-1);
    stalled.drop();
    await sending;
  });
  // The first heartbeat of an attempt leaves for the server at once; later ones may be throttled.
  t.equal(heartbeatsAtDeath, 1, "A's acceptance was the attempt's first heartbeat");
  // `acceptedId` is there from the first push on: an older worker taking the retry records the
  // send instead of pushing to A again.
  t.same(left, { acceptedId: '1 push(es)', acceptedParts: [`${a.id}/c1`] });

  const { result } = await runAttempt({ attempt: 2, heartbeatDetails: left }, () => sendPush(key, 'u', job));

  t.same(postsTo(push, a), [201], 'A was not posted to again');
  t.same(postsTo(push, b), [0, 201], 'B, never answered before, took the push');
  t.same(result, { delivered: ['m1'] });
  t.same(service.outcomes, [{ key, outcome: 'sent', providerId: '2 push(es)' }]);
});

t.test('details from an older worker, which marked acceptance after the loop, only record', async (t) => {
  const { push, service, sendPush, a, b } = await setUp(t);
  await service.client.beginSend({ key, userId: 'u', channel: 'push', messageIds: ['m1'] });

  const { result } = await runAttempt({ attempt: 2, heartbeatDetails: { acceptedId: '2 push(es)' } }, () =>
    sendPush(key, 'u', pushJob([a, b])),
  );

  t.same(result, { delivered: ['m1'] });
  t.same(push.posts, [], 'no push service was asked anything');
  t.same(service.outcomes, [{ key, outcome: 'sent', providerId: '2 push(es)' }]);
});
