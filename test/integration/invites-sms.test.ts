import t from 'tap';
import { chatApi } from '../support/chat';
import { eventually, startTestStack } from '../support/stack';
import { registerAndLogin } from '../support/users';
import { inviteApi, memberIds, recordHistory, temporalClient } from './invites-support';
import { startTwilioServer, twilioSpecMissing } from '../support/twilio-server';

const REMIND_AFTER_SECONDS = 4;

// Invites by phone go out as SMS through the Twilio SDK, to a loopback server that checks every
// request against Twilio's OpenAPI description; the invitee registers and joins through the link.
t.test(
  'an invite by phone arrives by SMS and its link lets a stranger join',
  { skip: twilioSpecMissing },
  async (t) => {
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
    const group = await chatApi(gateway, owner.accessToken).group('by phone', []);
    const phone = `+1415555${String(Date.now() % 10_000).padStart(4, '0')}`;

    const made = await inviteApi(gateway, owner).create({ conversationId: group.body.id, phone });
    t.equal(made.status, 201);
    t.match(made.body, { channel: 'sms', status: 'pending' });

    const texts = await eventually(
      async () => (twilio.messages.length >= 2 ? twilio.messages : undefined),
      60_000,
    );
    const [first, reminder] = texts as [(typeof texts)[0], (typeof texts)[0]];
    t.match(first, { to: phone, from: twilio.from });
    t.match(first.body, /invited you to "by phone" on Parley: http:\/\/.*\/invite#token=/);
    t.match(reminder.body, /^Reminder: /, 'the unanswered invite is reminded by SMS');
    const token = /#token=([A-Za-z0-9_-]+)/.exec(first.body)?.[1] ?? '';
    t.equal(/#token=([A-Za-z0-9_-]+)/.exec(reminder.body)?.[1], token, 'with the same link');

    const newcomer = await registerAndLogin(gateway, { phone });
    const accepted = await inviteApi(gateway, newcomer).acceptLink(token);
    t.equal(accepted.status, 200);
    t.equal(accepted.body.status, 'accepted');
    t.ok(
      (await memberIds(gateway, owner, group.body.id)).includes(newcomer.userId),
      'the texted invitee joined',
    );

    t.equal(twilio.messages.length, 2, 'one text and one reminder, no more');
    const offSpec = twilio.requests.filter((r) => r.errors.length > 0);
    t.same(offSpec, [], 'every request matched Twilio’s OpenAPI description');
    t.ok(
      twilio.requests.some((r) => r.operationId === 'CreateMessage' && r.status === 201),
      'texts were created through the Messages API',
    );
    await recordHistory(temporal, env, made.body.id, 'sms-reminded-accepted');
  },
);
