import t from 'tap';
import { chatApi } from '../support/chat';
import { emailsTo, linkToken, waitForEmail } from '../support/mailbox';
import { eventually, startTestStack } from '../support/stack';
import { registerAndLogin, uniqueUsername } from '../support/users';
import { inviteApi, memberIds, recordHistory, temporalClient } from './invites-support';

/** Short enough to watch; long enough for the stack to send the invitation first. */
const REMIND_AFTER_SECONDS = 4;
const EXPIRES_AFTER_SECONDS = 12;

// The invite workflow's timers, on a stack configured with short ones: an unanswered invite is
// reminded once, then expires, and its link is refused from then on.
t.test('invite reminders and expiry', async (t) => {
  const env = await startTestStack(t, {
    env: {
      INVITE_REMIND_AFTER_SECONDS: String(REMIND_AFTER_SECONDS),
      INVITE_EXPIRES_AFTER_SECONDS: String(EXPIRES_AFTER_SECONDS),
      INVITE_MAX_OPEN_PER_GROUP: '1',
    },
  });
  const gateway = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const mailPort = env.stack.ports.mailWeb;
  const temporal = await temporalClient(t, env);
  const owner = await registerAndLogin(gateway);
  const group = await chatApi(gateway, owner.accessToken).group('timers', []);

  const address = `${uniqueUsername('late_')}@example.test`;
  const made = await inviteApi(gateway, owner).create({ conversationId: group.body.id, email: address });
  t.equal(made.status, 201);
  const second = await inviteApi(gateway, owner).create({
    conversationId: group.body.id,
    email: `${uniqueUsername('more_')}@example.test`,
  });
  t.equal(second.body.code, 'INVITE_LIMIT_REACHED', 'a group holds a bounded number of open invites');

  const first = await waitForEmail(mailPort, address, /^[^R].*invited you to timers/);
  const reminder = await waitForEmail(mailPort, address, /^Reminder: .*invited you to timers/);
  t.equal(linkToken(reminder), linkToken(first), 'the reminder carries the same link');
  const reminded = await inviteApi(gateway, owner).get(made.body.id);
  t.ok(reminded.body.remindedAt, 'the invite records its reminder');

  const expired = await eventually(async () => {
    const res = await inviteApi(gateway, owner).get(made.body.id);
    return res.body.status === 'expired' ? res : undefined;
  }, 60_000);
  t.equal(expired.body.status, 'expired');

  const late = await registerAndLogin(gateway, { email: address });
  const refused = await inviteApi(gateway, late).acceptLink(linkToken(first));
  t.equal(refused.status, 410, 'an expired link is refused');
  t.equal(refused.body.code, 'INVITE_EXPIRED');
  t.notOk((await memberIds(gateway, owner, group.body.id)).includes(late.userId));
  const invitations = (await emailsTo(mailPort, address)).filter((m) => /invited you/.test(m.subject));
  t.equal(invitations.length, 2, 'one invitation and one reminder, no more');
  const afterwards = await inviteApi(gateway, owner).create({
    conversationId: group.body.id,
    email: `${uniqueUsername('next_')}@example.test`,
  });
  t.equal(afterwards.status, 201, 'an expired invite frees its place');
  await recordHistory(temporal, env, made.body.id, 'reminded-expired');
});
