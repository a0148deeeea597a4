import t from 'tap';
import { type DigestTransport, createDigestEmailActivities } from '../src/activities/notify-email';
import type { EmailJob, SmsJob } from '../src/activities/notify-types';
import { createSmsActivities } from '../src/activities/sms';
import { startTwilioServer, twilioSpecMissing } from '../../test/support/twilio-server';
import { retried, runAttempt } from './activity-attempt';
import { fakeNotifyService } from './notify-ledger-fake';

// A provider that accepted a message must never get it again, whatever happens to the
// notification service afterwards. Each case runs attempts the way Temporal retries an activity:
// a failed attempt is followed by another that starts from the last heartbeat details.

const emailJob: EmailJob = {
  channel: 'email',
  to: { name: 'Ada', address: 'ada@example.test' },
  subject: '2 unread messages',
  text: 'hello',
  html: '<p>hello</p>',
  unsubscribeUrl: 'http://127.0.0.1/unsubscribe?token=x',
  messageIds: ['m1', 'm2'],
};

function countingMailer() {
  const sent: string[] = [];
  const mailer: DigestTransport = {
    sendMail: async (message) => {
      sent.push(message.messageId);
      return { messageId: message.messageId };
    },
  };
  return { mailer, sent };
}

/** The email activity over a fake ledger and a mail transport that counts what it sends. */
function emailSetUp() {
  const service = fakeNotifyService();
  const { mailer, sent } = countingMailer();
  const { sendDigestEmail } = createDigestEmailActivities({
    notifyService: service.client,
    mailer,
    from: 'Parley <no-reply@p.test>',
    messageIdDomain: 'p',
  });
  return { service, sent, sendDigestEmail };
}

t.test('email: an outcome record that fails a few times costs no second email', async (t) => {
  const { service, sent, sendDigestEmail } = emailSetUp();
  service.unreachable(3);

  const { result, attempts } = await retried(() => sendDigestEmail('notify-u/email/m1', 'u', emailJob));

  t.same(result, { delivered: ['m1', 'm2'] });
  t.same(sent, ['<notify-u/email/m1@p>'], 'the email went exactly once');
  t.equal(attempts, 1, 'the attempt waited for the service instead of failing');
  t.equal(service.failedOutcomes, 3);
  t.equal(service.sends.get('notify-u/email/m1')?.state, 'sent', 'the ledger says sent');
});

t.test('email: a retry whose heartbeat says accepted records and sends nothing', async (t) => {
  const { service, sent, sendDigestEmail } = emailSetUp();
  // The first attempt recorded its intent and the server took the email; then the worker died.
  await service.client.beginSend({ key: 'k', userId: 'u', channel: 'email', messageIds: ['m1', 'm2'] });

  const { result } = await runAttempt({ attempt: 2, heartbeatDetails: { acceptedId: '<k@p>' } }, () =>
    sendDigestEmail('k', 'u', emailJob),
  );

  t.same(result, { delivered: ['m1', 'm2'] });
  t.same(sent, [], 'nothing was sent again');
  t.same(service.outcomes, [{ key: 'k', outcome: 'sent', providerId: '<k@p>' }], 'the outcome is recorded');
});

t.test('email: a cancelled attempt stops recording and keeps the acceptance', async (t) => {
  const { service, sent, sendDigestEmail } = emailSetUp();
  service.unreachable(1_000);

  const first = runAttempt({}, async (attempt) => {
    setTimeout(() => attempt.cancel(), 1_000);
    return sendDigestEmail('k', 'u', emailJob).catch((err: unknown) => ({
      err,
      heartbeats: attempt.heartbeats,
    }));
  });
  const { result } = await first;
  t.ok('err' in result, 'the cancelled attempt ends');
  const last = 'heartbeats' in result ? result.heartbeats.at(-1) : undefined;
  t.same(last, { acceptedId: '<k@p>' }, 'its heartbeat details say the email was accepted');

  service.unreachable(0);
  await runAttempt({ attempt: 2, heartbeatDetails: last }, () => sendDigestEmail('k', 'u', emailJob));
  t.equal(sent.length, 1, 'the next attempt sent nothing');
  t.equal(service.sends.get('k')?.state, 'sent');
});

const smsJob = (to: string): SmsJob => ({
  channel: 'sms',
  to,
  body: 'Ada: call me (ref 1a2b)',
  statusCallbackUrl: 'http://127.0.0.1:4400/api/v1/notifications/sms-status/r1',
  messageIds: ['m1'],
});

t.test(
  'sms: no second message at Twilio, whether the record waits or the retry reads the heartbeat',
  { skip: twilioSpecMissing },
  async (t) => {
    const twilio = await startTwilioServer();
    t.teardown(() => twilio.close());
    const service = fakeNotifyService();
    const { sendSms } = createSmsActivities({
      notifyService: service.client,
      twilio: {
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        from: twilio.from,
        apiBaseUrl: twilio.baseUrl,
      },
    });
    service.unreachable(3);

    const { attempts } = await retried(() => sendSms('notify-u/sms/m1', 'u', smsJob('+14155550100')));

    t.equal(twilio.messages.length, 1, 'Twilio holds exactly one message');
    t.equal(attempts, 1);
    const sid = twilio.messages[0]!.sid;
    t.same(service.outcomes, [{ key: 'notify-u/sms/m1', outcome: 'sent', providerId: sid }]);

    // A retried attempt whose heartbeat says Twilio took the message asks Twilio nothing.
    await service.client.beginSend({ key: 'k2', userId: 'u', channel: 'sms', messageIds: ['m1'] });
    const requestsBefore = twilio.requests.length;
    await runAttempt(
      { attempt: 2, heartbeatDetails: { acceptedId: 'SM00000000000000000000000000000000' } },
      () => sendSms('k2', 'u', smsJob('+14155550101')),
    );
    t.equal(twilio.messages.length, 1, 'no new message');
    t.equal(twilio.requests.length, requestsBefore, 'no request reached Twilio');
    t.same(service.outcomes.at(-1), {
      key: 'k2',
      outcome: 'sent',
      providerId: 'SM00000000000000000000000000000000',
    });
  },
);
