import t from 'tap';
import { sendRetryDelay as delayOf } from '../src/realtime/send-retry';

const sendRetryDelay = (code: string | undefined, retryAfterMs: number | undefined) =>
  delayOf(code, retryAfterMs, () => 0);

t.test('refusals that pass are retried after the wait the gateway names', async (t) => {
  t.equal(sendRetryDelay('RATE_LIMITED', 2_500), 2_500);
  t.equal(sendRetryDelay('REALTIME_SEND_QUEUE_FULL', 1_000), 1_000, 'a full queue at the gateway passes too');
  t.equal(sendRetryDelay('REALTIME_SEND_QUEUE_FULL', undefined), 1_000);
  t.equal(sendRetryDelay('RATE_LIMITED', 600_000), 60_000, 'no more than a minute, however long asked');
});

t.test('other refusals are not retried', async (t) => {
  t.equal(sendRetryDelay('VALIDATION_FAILED', undefined), undefined);
  t.equal(sendRetryDelay('CHAT_NOT_A_MEMBER', 1_000), undefined);
  t.equal(sendRetryDelay(undefined, undefined), undefined);
});

t.test('clients refused together come back spread over half the wait again', async (t) => {
  t.equal(
    delayOf('REALTIME_SEND_QUEUE_FULL', 1_000, () => 0),
    1_000,
  );
  t.equal(
    delayOf('REALTIME_SEND_QUEUE_FULL', 1_000, () => 0.999),
    1_500,
  );
});
