import t from 'tap';
import { chatApi } from '../support/chat';
import { emailsTo } from '../support/mailbox';
import { eventually } from '../support/stack';
import { callJson } from '../support/users';
import {
  directPair,
  phoneNumber,
  recordHistory,
  setPreferences,
  sleep,
  startNotificationWorld,
  subscribePush,
  timelineEvents,
  verifiedUser,
} from './notification-helpers';

/** `HH:MM` in `timeZone`, `minutesAhead` from now. */
function localTime(timeZone: string, minutesAhead: number): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(Date.now() + minutesAhead * 60_000));
}

t.test('notification durability: quiet hours, a worker killed mid-send, Temporal away', async (t) => {
  const world = await startNotificationWorld(t);
  const { twilio, push } = world;

  await t.test('quiet hours in the recipient time zone defer a push, which is then sent once', async (t) => {
    const sender = await verifiedUser(world);
    const sleeper = await verifiedUser(world);
    const timeZone = 'Asia/Kolkata';
    const profile = await callJson(`${world.api}/users/me`, {
      method: 'PATCH',
      token: sleeper.accessToken,
      body: { timeZone },
    });
    t.equal(profile.status, 200);
    // Quiet from this local minute to two minutes on: the end is 61 to 120 seconds away.
    const end = localTime(timeZone, 2);
    const quietMinutes = [localTime(timeZone, 0), localTime(timeZone, 1)];
    await setPreferences(world, sleeper, {
      level: 'all',
      channels: { push: true, email: false, sms: false },
      delays: { push: 1 },
      quietHours: { start: localTime(timeZone, 0), end, allowUrgent: false },
    });
    const device = await subscribePush(world, sleeper);
    const chat = chatApi(world.gateway, sender.accessToken);
    const conversation = await chat.direct(sleeper.userId);
    const message = (await chat.send(conversation.body.id, 'are you awake?')).body;

    const events = await eventually(async () => {
      const list = await timelineEvents(world, sender.accessToken, message.id, sleeper.userId);
      return list.includes('deferred') ? list : undefined;
    });
    t.notOk(events.includes('pushed'), 'deferred, not sent');
    t.equal(
      push.received.filter((p) => p.subscriberId === device.id).length,
      0,
      'nothing during quiet hours',
    );

    const received = await eventually(async () => {
      const mine = push.received.filter((p) => p.subscriberId === device.id);
      return mine.length > 0 ? mine : undefined;
    }, 180_000);
    t.notOk(quietMinutes.includes(localTime(timeZone, 0)), 'sent once quiet hours ended');
    t.same(received[0]!.payload.messageIds, [message.id]);
    await sleep(5_000);
    t.equal(push.received.filter((p) => p.subscriberId === device.id).length, 1, 'sent once');
    await recordHistory(world, sleeper.userId, 'quiet-hours');
  });

  await t.test('the worker killed after Twilio took the SMS: exactly one SMS', async (t) => {
    const phone = phoneNumber();
    const { sender, recipient, chat, conversation } = await directPair(
      world,
      { level: 'all', channels: { push: false, email: false, sms: true }, delays: { sms: 1 } },
      phone,
    );
    const held = twilio.holdNextCreate();
    const message = (await chat.send(conversation.body.id, 'urgent: the site is down')).body;

    const accepted = await held.accepted;
    t.equal(accepted.to, phone, 'Twilio took the message; its answer is held');
    await world.test.stack.kill('worker');
    held.release();
    await world.test.stack.restart('worker');

    // The activity's try on the dead worker times out; the retry finds the intent, asks Twilio,
    // finds the message and records it instead of sending again.
    const events = await eventually(async () => {
      const list = await timelineEvents(world, sender.accessToken, message.id, recipient.userId);
      return list.includes('texted') ? list : undefined;
    }, 180_000);
    t.ok(events.includes('texted'));
    await sleep(5_000);
    t.equal(twilio.messages.filter((m) => m.to === phone).length, 1, 'exactly one SMS');
    t.ok(
      twilio.requests.some((r) => r.operationId === 'ListMessage'),
      'the retry looked the message up at Twilio',
    );
    t.same(
      twilio.requests.flatMap((r) => r.errors),
      [],
      'every Twilio request conforms to the spec',
    );
    await recordHistory(world, recipient.userId, 'worker-killed-mid-sms');
  });

  await t.test('an invalid number is a permanent failure, recorded and not retried', async (t) => {
    const { sender, recipient, chat, conversation } = await directPair(
      world,
      { channels: { push: false, email: true, sms: true }, delays: { sms: 1, email: 3 } },
      '+15005550001',
    );
    const message = (await chat.send(conversation.body.id, 'hello?')).body;
    const events = await eventually(async () => {
      const list = await timelineEvents(world, sender.accessToken, message.id, recipient.userId);
      return list.includes('failed') && list.includes('emailed') ? list : undefined;
    }, 60_000);
    t.ok(events.includes('failed'), 'the refusal is in the ledger');
    const creates = twilio.requests.filter(
      (r) => r.operationId === 'CreateMessage' && r.path.includes(twilio.accountSid) && r.status === 400,
    );
    t.equal(creates.length, 1, 'Twilio was asked once: error 21211 is not retried');
    t.equal(
      (await emailsTo(world.mailPort, recipient.email)).filter((m) => /unread message/.test(m.subject))
        .length,
      1,
      'escalation went on by email',
    );
  });
  await t.test('Temporal away when a message arrives: the event is kept, then notified once', async (t) => {
    const { sender, recipient, chat, conversation } = await directPair(world, {
      level: 'all',
      channels: { push: true, email: false, sms: false },
      delays: { push: 1 },
    });
    const device = await subscribePush(world, recipient);

    await world.test.stack.kill('temporal');
    const message = (await chat.send(conversation.body.id, 'are you there?')).body;
    // The ledger entry is written before the signal fails: the event reached notification, which
    // failed to signal and kept it; the sidecar was answered and went on.
    const queued = await eventually(async () => {
      const list = await timelineEvents(world, sender.accessToken, message.id, recipient.userId);
      return list.includes('queued') ? list : undefined;
    }, 60_000);
    t.ok(queued.includes('queued'));
    const notificationLog = () => world.test.logs.filter((line) => line.startsWith('notification |'));
    await eventually(async () => notificationLog().some((l) => l.includes('kept for a retry')) || undefined);
    t.pass("the failed signal was kept in notification's own store, not left to the sidecar");
    t.equal(push.received.filter((p) => p.subscriberId === device.id).length, 0, 'nothing sent yet');
    await world.test.stack.restart('temporal', 'worker');

    const received = await eventually(async () => {
      const mine = push.received.filter((p) => p.subscriberId === device.id);
      return mine.length > 0 ? mine : undefined;
    }, 180_000);
    t.same(received[0]!.payload.messageIds, [message.id], 'notified once Temporal was back');
    t.ok(
      notificationLog().some((line) => line.includes('parked event applied')),
      'applied from there',
    );
    await sleep(5_000);
    t.equal(push.received.filter((p) => p.subscriberId === device.id).length, 1, 'exactly once');
  });
});
