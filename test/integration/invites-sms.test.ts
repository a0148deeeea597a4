import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { chatApi } from '../support/chat';
import { eventually, startTestStack } from '../support/stack';
import { startTwilioServer, twilioSpecMissing } from '../support/twilio-server';
import { registerAndLogin } from '../support/users';
import { inviteApi, memberIds, recordHistory, temporalClient } from './invites-support';

const REMIND_AFTER_SECONDS = 4;

const tokenIn = (text: string) => /#token=([A-Za-z0-9_-]+)/.exec(text)?.[1] ?? '';

// Invites by phone go out as SMS through the Twilio SDK, to a loopback server that checks every
// request against Twilio's OpenAPI description; the invitee registers and joins through the link.
t.test('invites by SMS', { skip: twilioSpecMissing }, async (t) => {
  const twilio = await startTwilioServer();
  t.teardown(() => twilio.close());
  const env = await startTestStack(t, {
    env: {
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: twilio.from,
      TWILIO_API_BASE_URL: twilio.baseUrl,
      INVITE_REMIND_AFTER_SECONDS: String(REMIND_AFTER_SECONDS),
    },
  });
  const gateway = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const temporal = await temporalClient(t, env);
  const owner = await registerAndLogin(gateway);
  let numbers = 0;
  const newPhone = () => `+1415555${String((Date.now() + numbers++) % 10_000).padStart(4, '0')}`;
  const textsTo = (phone: string) => twilio.messages.filter((m) => m.to === phone);

  await t.test('a stranger invited by phone is reminded, then joins through the link', async (t) => {
    const group = await chatApi(gateway, owner.accessToken).group('by phone', []);
    const phone = newPhone();
    const made = await inviteApi(gateway, owner).create({ conversationId: group.body.id, phone });
    t.equal(made.status, 201);
    t.match(made.body, { channel: 'sms', status: 'pending' });

    const texts = await eventually(
      async () => (textsTo(phone).length >= 2 ? textsTo(phone) : undefined),
      60_000,
    );
    const [first, reminder] = texts as [(typeof texts)[0], (typeof texts)[0]];
    t.match(first, { to: phone, from: twilio.from });
    t.match(first.body, /invited you to "by phone" on Parley: http:\/\/.*\/invite#token=/);
    t.match(reminder.body, /^Reminder: /, 'the unanswered invite is reminded by SMS');
    t.equal(tokenIn(reminder.body), tokenIn(first.body), 'with the same link');

    const newcomer = await registerAndLogin(gateway, { phone });
    const accepted = await inviteApi(gateway, newcomer).acceptLink(tokenIn(first.body));
    t.equal(accepted.status, 200);
    t.equal(accepted.body.status, 'accepted');
    t.ok(
      (await memberIds(gateway, owner, group.body.id)).includes(newcomer.userId),
      'the texted invitee joined',
    );
    t.equal(textsTo(phone).length, 2, 'one text and one reminder, no more');
    await recordHistory(temporal, env, made.body.id, 'sms-reminded-accepted');
  });

  await t.test('the worker killed after Twilio took the invite: exactly one text', async (t) => {
    const group = await chatApi(gateway, owner.accessToken).group('killed', []);
    const phone = newPhone();
    const held = twilio.holdNextCreate();
    const made = await inviteApi(gateway, owner).create({ conversationId: group.body.id, phone });
    t.equal(made.status, 201);

    const accepted = await held.accepted;
    t.equal(accepted.to, phone, 'Twilio took the text; its answer is held');
    await env.stack.kill('worker');
    const before = twilio.requests.length;
    held.release();
    await env.stack.restart('worker');

    // The try on the dead worker times out; the retry asks Twilio and finds the text it took.
    const invitation = (m: { body: string }) => !m.body.startsWith('Reminder: ');
    await eventually(async () => (textsTo(phone).some((m) => !invitation(m)) ? true : undefined), 180_000);
    await sleep(2_000);
    t.equal(textsTo(phone).filter(invitation).length, 1, 'exactly one invitation text');
    const afterRestart = twilio.requests.slice(before).map((r) => r.operationId);
    t.same(
      afterRestart,
      ['ListMessage', 'ListMessage', 'CreateMessage'],
      'the retry found the text at Twilio; only the reminder was created after',
    );
  });

  t.same(
    twilio.requests.filter((r) => r.errors.length > 0),
    [],
    'every request matched Twilio’s OpenAPI description',
  );
  t.ok(
    twilio.requests.some((r) => r.operationId === 'CreateMessage' && r.status === 201),
    'texts were created through the Messages API',
  );
});
