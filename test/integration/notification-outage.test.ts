import { freePortPlan } from '@parley/devstack';
import t from 'tap';
import { emailsTo } from '../support/mailbox';
import { startSmtpRelay } from '../support/smtp-relay';
import { eventually } from '../support/stack';
import {
  type NotificationWorld,
  directPair,
  sleep,
  startNotificationWorld,
  timelineEvents,
} from './notification-helpers';

// Once the mail server took a digest, nothing that fails afterwards may send it again: not the
// notification service (or its sidecar) away for seconds, not the worker dying. The worker's mail
// goes through a relay that holds the server's final reply, so each fault lands in that window.

t.test('a digest the mail server accepted is never sent again', async (t) => {
  const ports = await freePortPlan();
  const relay = await startSmtpRelay(ports.smtp);
  t.teardown(() => relay.close());
  const world = await startNotificationWorld(t, { ports, env: { SMTP_URL: relay.url } });
  const { stack } = world.test;

  /** A recipient of email digests only, 1 s after a message, and one message to them. */
  const messageTo = async (text: string) => {
    const { sender, recipient, chat, conversation } = await directPair(world, {
      level: 'all',
      channels: { push: false, email: true, sms: false },
      delays: { email: 1 },
    });
    const held = relay.holdNextAcceptance();
    const message = (await chat.send(conversation.body.id, text)).body;
    return { sender, recipient, message, held };
  };
  const digestsTo = async (address: string) =>
    (await emailsTo(world.mailPort, address)).filter((m) => /unread message/.test(m.subject));
  const emailed = (w: NotificationWorld, token: string, messageId: string, userId: string) =>
    eventually(async () => {
      const list = await timelineEvents(w, token, messageId, userId);
      return list.includes('emailed') ? list : undefined;
    }, 120_000);

  await t.test('the notification service and its sidecar killed, back seconds later', async (t) => {
    const { sender, recipient, message, held } = await messageTo('is the deploy done?');
    await held.accepted;
    await Promise.all([stack.crash('notification'), stack.crash('notification-dapr')]);
    held.release();
    await sleep(5_000);
    await stack.restart('notification', 'notification-dapr');

    const events = await emailed(world, sender.accessToken, message.id, recipient.userId);
    t.equal(events.filter((e) => e === 'emailed').length, 1, 'the ledger records the email once');
    await sleep(5_000);
    t.equal((await digestsTo(recipient.email)).length, 1, 'exactly one email');
  });

  await t.test('the worker killed after the acceptance reached Temporal', async (t) => {
    const { sender, recipient, message, held } = await messageTo('lunch?');
    await held.accepted;
    // The outcome cannot be recorded while the service is away, so the attempt is still running
    // when the worker dies; its heartbeat already told Temporal the email was accepted.
    await Promise.all([stack.crash('notification'), stack.crash('notification-dapr')]);
    held.release();
    const handle = world.temporal.workflow.getHandle(`notify-${recipient.userId}`);
    await eventually(async () => {
      const { raw } = await handle.describe();
      const details = raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0]?.data;
      return details && Buffer.from(details).toString().includes('acceptedId') ? true : undefined;
    });
    await stack.crash('worker');
    await stack.restart('notification', 'notification-dapr');
    await stack.restart('worker');

    // The attempt on the dead worker times out after its heartbeat timeout; the retry records.
    const events = await emailed(world, sender.accessToken, message.id, recipient.userId);
    t.ok(events.includes('emailed'), 'the retry recorded the email');
    await sleep(5_000);
    t.equal((await digestsTo(recipient.email)).length, 1, 'exactly one email');
  });
});
