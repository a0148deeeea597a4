import { ApplicationFailure } from '@temporalio/activity';
import t from 'tap';
import { type MailTransport, createEmailActivities } from '../src/activities/email';

const request = {
  idempotencyKey: 'verify-email-abc123',
  to: { address: 'ada@example.test', name: 'Ada "The Countess", <boss@example.test>' },
  subject: 'Confirm',
  text: 'hello',
};

t.test('sends with the recipient as an address object and a Message-ID from the key', async (t) => {
  const sent: Parameters<MailTransport['sendMail']>[0][] = [];
  const mailer: MailTransport = {
    sendMail: async (message) => {
      sent.push(message);
      return { messageId: message.messageId };
    },
  };
  const { deliverEmail } = createEmailActivities({
    mailer,
    from: 'Parley <no-reply@p.test>',
    messageIdDomain: 'p',
  });
  const result = await deliverEmail(request);
  t.equal(result.messageId, '<verify-email-abc123@p>');
  t.same(sent[0]?.to, request.to, 'the name never becomes raw header text');
  t.equal(sent[0]?.from, 'Parley <no-reply@p.test>');
});

t.test('a permanent SMTP refusal is not retried; a transient one is', async (t) => {
  const failing = (responseCode: number): MailTransport => ({
    sendMail: async () => {
      throw Object.assign(new Error('smtp said no'), { responseCode });
    },
  });
  const outcome = (mailer: MailTransport) =>
    createEmailActivities({ mailer, from: 'x@p.test', messageIdDomain: 'p' })
      .deliverEmail(request)
      .then(
        () => 'sent',
        (err: unknown) => (err instanceof ApplicationFailure && err.nonRetryable ? 'final' : 'retry'),
      );
  t.equal(await outcome(failing(550)), 'final', 'an unknown mailbox (550) fails for good');
  t.equal(await outcome(failing(421)), 'retry', 'a busy server (421) is retried');
});
