import t from 'tap';
import { type MessageBody, chatApi } from '../support/chat';
import { emailsTo } from '../support/mailbox';
import { eventually } from '../support/stack';
import { twilioSignature } from '../support/twilio-server';
import { callJson, registerAndLogin } from '../support/users';
import {
  directPair,
  ledger,
  phoneNumber,
  recordHistory,
  setPreferences,
  sleep,
  startNotificationWorld,
  subscribePush,
  timelineEvents,
  verifiedUser,
} from './notification-helpers';

t.test('notification delivery through push, email digest and SMS', async (t) => {
  const world = await startNotificationWorld(t);
  const { twilio, push, api } = world;

  await t.test('an away recipient gets one push, then one email digest, then one SMS', async (t) => {
    const alice = await verifiedUser(world, undefined, 'Alice <script>x</script>');
    const bobPhone = phoneNumber();
    // A name that would add a recipient if it reached the To header as raw text.
    const bob = await verifiedUser(world, bobPhone, 'Bob "Boss", <admin@evil.test>');
    await setPreferences(world, bob, {
      level: 'all',
      channels: { push: true, email: true, sms: true },
      delays: { push: 5, email: 12, sms: 20 },
    });
    const device = await subscribePush(world, bob);
    const chat = chatApi(world.gateway, alice.accessToken);
    const conversation = await chat.direct(bob.userId);
    const texts = ['Are you there?', 'The build is red <b>again</b>', 'Call me when you can'];
    const sent: MessageBody[] = [];
    for (const text of texts) sent.push((await chat.send(conversation.body.id, text)).body);

    const pushes = await eventually(async () => {
      const mine = push.received.filter((p) => p.subscriberId === device.id);
      return mine.length > 0 ? mine : undefined;
    }, 60_000);
    t.same(push.errors, [], 'every push carried a valid VAPID token and decrypted');
    t.equal(pushes[0]!.payload.conversationId, conversation.body.id);
    t.same(
      pushes[0]!.payload.messageIds,
      sent.map((m) => m.id),
      'one push for the conversation covers all three messages',
    );
    t.match(String(pushes[0]!.payload.body), /3 new messages: Call me when you can/);

    const digest = await eventually(async () => {
      const mails = (await emailsTo(world.mailPort, bob.email)).filter((m) =>
        /unread message/.test(m.subject),
      );
      return mails.length > 0 ? mails : undefined;
    }, 60_000);
    t.equal(digest.length, 1, 'one email for several messages');
    t.same(digest[0]!.to, [{ address: bob.email, name: bob.displayName }], 'the name stays a name');
    const html = (digest[0] as unknown as { html: string }).html;
    t.match(html, 'The build is red &lt;b&gt;again&lt;/b&gt;', 'message text is escaped in HTML');
    t.match(html, 'Alice &lt;script&gt;', 'so is the sender name');
    t.notMatch(html, '<script>');
    for (const text of texts) t.match(digest[0]!.text, text, 'the digest lists every message');
    t.match(digest[0]!.headers['list-unsubscribe'], /\/api\/v1\/notifications\/unsubscribe\?token=/);
    t.equal(digest[0]!.headers['list-unsubscribe-post'], 'List-Unsubscribe=One-Click');
    t.equal(
      digest[0]!.messageId?.replace(/^<|>$/g, ''),
      `notify-${bob.userId}/email/${sent[0]!.id}@parley`,
      'Message-ID from the key',
    );

    const sms = await eventually(async () => {
      const mine = twilio.messages.filter((m) => m.to === bobPhone);
      return mine.length > 0 ? mine : undefined;
    }, 60_000);
    t.equal(sms.length, 1);
    t.match(sms[0]!.body, /3 urgent unread messages/);
    t.same(
      twilio.requests.flatMap((r) => r.errors),
      [],
      'every Twilio request conforms to the spec',
    );
    await sleep(3_000);
    t.equal(push.received.filter((p) => p.subscriberId === device.id).length, 1, 'still one push');
    t.equal(twilio.messages.filter((m) => m.to === bobPhone).length, 1, 'still one SMS');

    const events = await eventually(async () => {
      const list = await timelineEvents(world, alice.accessToken, sent[0]!.id, bob.userId);
      return list.includes('texted') ? list : undefined;
    });
    for (const event of ['queued', 'pushed', 'emailed', 'texted'])
      t.ok(events.includes(event), `the ledger records ${event}`);

    await t.test('the ledger is for members and operators only', async (t) => {
      const outsider = await registerAndLogin(world.gateway);
      const refused = await ledger(world, outsider.accessToken, sent[0]!.id);
      t.equal(refused.status, 404);
      t.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      const operator = await ledger(world, world.test.stack.secrets.opsToken, sent[0]!.id);
      t.equal(operator.status, 200);
      t.equal(operator.body.recipients.length, 1);
    });

    await t.test('the unsubscribe link turns email off, and only a signed one', async (t) => {
      const link = /<([^>]+)>/.exec(digest[0]!.headers['list-unsubscribe']!)![1]!;
      t.match(link, `${world.gateway}/api/v1/notifications/unsubscribe?token=`);
      const page = await fetch(link);
      t.equal(page.status, 200, 'following the link only shows a button');
      t.equal(
        (
          await callJson<{ channels: { email: boolean } }>(`${api}/notifications/preferences`, {
            token: bob.accessToken,
          })
        ).body.channels.email,
        true,
      );
      const forged = await fetch(link.replace(/token=([^.]+)\.(.)/, 'token=$1.A$2'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      t.equal(forged.status, 400);
      const oneClick = await fetch(link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      t.equal(oneClick.status, 200);
      const prefs = await callJson<{ channels: { email: boolean } }>(`${api}/notifications/preferences`, {
        token: bob.accessToken,
      });
      t.equal(prefs.body.channels.email, false, 'email is off');
    });

    await t.test('signed status callbacks are accepted, unsigned or altered ones refused', async (t) => {
      const callback = sms[0]!.statusCallback!;
      t.match(callback, `${world.gateway}/api/v1/notifications/sms-status/`);
      const params = {
        AccountSid: twilio.accountSid,
        ApiVersion: '2010-04-01',
        From: twilio.from,
        MessageSid: sms[0]!.sid,
        MessageStatus: 'delivered',
        To: bobPhone,
      };
      const post = (body: Record<string, string>, signature?: string) =>
        fetch(callback, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(signature ? { 'x-twilio-signature': signature } : {}),
          },
          body: new URLSearchParams(body).toString(),
        });
      const signature = twilioSignature(twilio.authToken, callback, params);
      const unsigned = await post(params);
      t.equal(unsigned.status, 403);
      t.equal(((await unsigned.json()) as { code: string }).code, 'NOTIFICATION_SIGNATURE_INVALID');
      const altered = await post({ ...params, MessageStatus: 'failed' }, signature);
      t.equal(altered.status, 403, 'a field changed after signing');
      const accepted = await post(params, signature);
      t.equal(accepted.status, 204);
      const timeline = await ledger(world, alice.accessToken, sent[0]!.id);
      const entry = timeline.body.recipients[0]!.timeline.find((e) => e.event === 'sms-status');
      t.equal(entry?.detail, 'delivered');
    });

    await recordHistory(world, bob.userId, 'escalation');
  });

  await t.test('a read during the delay: nothing is sent', async (t) => {
    const carol = await verifiedUser(world);
    const davePhone = phoneNumber();
    const dave = await verifiedUser(world, davePhone);
    await setPreferences(world, dave, {
      level: 'all',
      channels: { push: true, email: true, sms: true },
      delays: { push: 8, email: 8, sms: 8 },
    });
    const device = await subscribePush(world, dave);
    const chat = chatApi(world.gateway, carol.accessToken);
    const conversation = await chat.direct(dave.userId);
    const message = (await chat.send(conversation.body.id, 'lunch?')).body;
    const read = await callJson(`${api}/conversations/${conversation.body.id}/receipts`, {
      token: dave.accessToken,
      body: { kind: 'read', seq: message.seq },
    });
    t.equal(read.status, 200);
    await eventually(async () =>
      (await timelineEvents(world, carol.accessToken, message.id, dave.userId)).includes('read')
        ? true
        : undefined,
    );
    await sleep(15_000);
    t.equal(push.received.filter((p) => p.subscriberId === device.id).length, 0, 'no push');
    t.same(
      (await emailsTo(world.mailPort, dave.email)).filter((m) => /unread message/.test(m.subject)),
      [],
      'no email',
    );
    t.same(
      twilio.messages.filter((m) => m.to === davePhone),
      [],
      'no SMS',
    );
    const events = await timelineEvents(world, carol.accessToken, message.id, dave.userId);
    t.same(
      events.filter((e) => ['pushed', 'emailed', 'texted'].includes(e)),
      [],
    );
    await recordHistory(world, dave.userId, 'read-during-delay');
  });

  await t.test('a message deleted during the delay: nothing is sent for it', async (t) => {
    const { sender, recipient, chat, conversation } = await directPair(world, {
      level: 'all',
      channels: { push: true, email: false, sms: false },
      delays: { push: 8 },
    });
    const device = await subscribePush(world, recipient);
    const message = (await chat.send(conversation.body.id, 'oops, wrong chat')).body;
    const deleted = await chat.call(`/messages/${message.id}`, { method: 'DELETE' });
    t.ok(deleted.status === 200 || deleted.status === 204, 'deleted');
    await eventually(async () =>
      (await timelineEvents(world, sender.accessToken, message.id, recipient.userId)).includes('deleted')
        ? true
        : undefined,
    );
    await sleep(12_000);
    t.equal(push.received.filter((p) => p.subscriberId === device.id).length, 0, 'no push');
  });

  await t.test('a message edited during the delay is emailed with its new text', async (t) => {
    const { recipient, chat, conversation } = await directPair(world, {
      level: 'all',
      channels: { push: false, email: true, sms: false },
      delays: { email: 6 },
    });
    const message = (await chat.send(conversation.body.id, 'the door code is 4711')).body;
    const edited = await chat.call(`/messages/${message.id}`, {
      method: 'PATCH',
      body: { text: 'the door code is in the vault' },
    });
    t.equal(edited.status, 200, 'edited');

    const digest = await eventually(async () => {
      const mails = (await emailsTo(world.mailPort, recipient.email)).filter((m) =>
        /unread message/.test(m.subject),
      );
      return mails.length > 0 ? mails : undefined;
    }, 60_000);
    t.match(digest[0]!.text, 'the door code is in the vault', 'the digest quotes the edited text');
    t.notMatch(digest[0]!.text, '4711', 'the first text is not sent');
    const html = (digest[0] as unknown as { html: string }).html;
    t.notMatch(html, '4711');
  });

  await t.test('a mention added by an edit notifies the newly mentioned member, once', async (t) => {
    const owner = await verifiedUser(world);
    const mentioned = await verifiedUser(world);
    const witness = await verifiedUser(world);
    const pushOnly = { channels: { push: true, email: false, sms: false }, delays: { push: 2 } };
    await setPreferences(world, mentioned, { level: 'mentions', ...pushOnly });
    await setPreferences(world, witness, { level: 'all', ...pushOnly });
    const device = await subscribePush(world, mentioned);
    const chat = chatApi(world.gateway, owner.accessToken);
    const group = (await chat.group('plans', [mentioned.userId, witness.userId])).body.id;
    const message = (await chat.send(group, 'who takes the minutes?')).body;
    const recipients = async () => {
      const res = await ledger(world, owner.accessToken, message.id);
      return res.status === 200 ? res.body.recipients.map((r) => r.recipientId) : [];
    };
    t.same(
      await eventually(async () => ((await recipients()).length > 0 ? recipients() : undefined)),
      [witness.userId],
      'at first only the witness is queued',
    );
    const stranger = await verifiedUser(world);
    const refused = await chat.call(`/messages/${message.id}`, {
      method: 'PATCH',
      body: { text: 'who takes the minutes?', mentions: [stranger.userId] },
    });
    t.match(refused, { status: 409, body: { code: 'CHAT_MENTION_NOT_MEMBER' } }, 'only members');

    const mention = { text: 'who takes the minutes? you do', mentions: [mentioned.userId] };
    const edited = await chat.call(`/messages/${message.id}`, { method: 'PATCH', body: mention });
    t.match(edited, { status: 200, body: { mentions: [mentioned.userId] } });
    const pushes = () => push.received.filter((p) => p.subscriberId === device.id);
    const first = await eventually(async () => (pushes().length > 0 ? pushes() : undefined), 30_000);
    t.match(first[0]?.payload, { body: 'who takes the minutes? you do' }, 'the push quotes the edit');

    const again = await chat.call(`/messages/${message.id}`, {
      method: 'PATCH',
      body: { ...mention, text: 'who takes the minutes? you, please' },
    });
    t.equal(again.status, 200);
    await sleep(8_000);
    t.equal(pushes().length, 1, 'an edit keeping the mention notifies no more');
  });

  await t.test('a delay changed while a message waits moves its email, either way', async (t) => {
    const sender = await verifiedUser(world);
    const patient = await verifiedUser(world);
    const hurried = await verifiedUser(world);
    const emailOnly = { level: 'all', channels: { push: false, email: true, sms: false } };
    await setPreferences(world, patient, { ...emailOnly, delays: { email: 5 } });
    await setPreferences(world, hurried, { ...emailOnly, delays: { email: 600 } });
    const chat = chatApi(world.gateway, sender.accessToken);
    const digests = async (email: string) =>
      (await emailsTo(world.mailPort, email)).filter((m) => /unread message/.test(m.subject));
    for (const user of [patient, hurried]) {
      const conversation = await chat.direct(user.userId);
      await chat.send(conversation.body.id, `hello ${user.displayName}`);
    }
    await sleep(1_000);
    await setPreferences(world, patient, { delays: { email: 300 } });
    await setPreferences(world, hurried, { delays: { email: 3 } });

    const early = await eventually(async () => {
      const mails = await digests(hurried.email);
      return mails.length > 0 ? mails : undefined;
    }, 30_000);
    t.equal(early.length, 1, 'a shortened delay brings the email forward');
    await sleep(10_000);
    t.equal((await digests(patient.email)).length, 0, 'a lengthened delay holds the email back');
    await recordHistory(world, hurried.userId, 'delay-shortened');
  });

  await t.test('a conversation set to nothing notifies nothing there', async (t) => {
    const owner = await verifiedUser(world);
    const listener = await verifiedUser(world);
    const witness = await verifiedUser(world);
    for (const user of [listener, witness])
      await setPreferences(world, user, { level: 'all', channels: { push: true, email: false, sms: false } });
    const chat = chatApi(world.gateway, owner.accessToken);
    const group = (await chat.group('standup', [listener.userId, witness.userId])).body.id;
    const set = await callJson<{ conversations: Record<string, string> }>(
      `${api}/notifications/preferences/conversations/${group}`,
      { method: 'PUT', token: listener.accessToken, body: { level: 'nothing' } },
    );
    t.equal(set.status, 200);
    t.same(set.body.conversations, { [group]: 'nothing' });
    const message = (await chat.send(group, 'standup in five')).body;
    // The same event queued the witness, so it was handled for the listener too.
    const recipients = await eventually(async () => {
      const res = await ledger(world, owner.accessToken, message.id);
      return res.status === 200 ? res.body.recipients.map((r) => r.recipientId) : undefined;
    });
    t.same(recipients, [witness.userId], 'only the witness is queued');
  });

  await t.test('a message sent right after a block notifies neither of the pair', async (t) => {
    const sender = await verifiedUser(world);
    const blocker = await verifiedUser(world);
    const witness = await verifiedUser(world);
    for (const user of [blocker, witness])
      await setPreferences(world, user, { level: 'all', channels: { push: true, email: false, sms: false } });
    const chat = chatApi(world.gateway, sender.accessToken);
    const group = (await chat.group('after hours', [blocker.userId, witness.userId])).body.id;
    const recipientsOf = (messageId: string, count: number) =>
      eventually(async () => {
        const res = await ledger(world, sender.accessToken, messageId);
        const ids = res.status === 200 ? res.body.recipients.map((r) => r.recipientId) : [];
        return ids.length === count ? ids.sort() : undefined;
      });
    // Notification now holds the pair's answer (not blocked), which it used to trust for 30 s.
    const before = (await chat.send(group, 'before the block')).body;
    t.same(await recipientsOf(before.id, 2), [blocker.userId, witness.userId].sort());

    const blocked = await callJson(`${api}/contacts/blocked/${sender.userId}`, {
      method: 'PUT',
      token: blocker.accessToken,
    });
    t.equal(blocked.status, 204);
    const after = (await chat.send(group, 'right after the block')).body;
    t.same(await recipientsOf(after.id, 1), [witness.userId], 'only the witness is queued');
    // A redelivery of the event adds no entry for the blocker either.
    await sleep(1_000);
    t.same(await recipientsOf(after.id, 1), [witness.userId]);
  });

  await t.test('members added later are notified, removed ones are not', async (t) => {
    const owner = await verifiedUser(world);
    const [stays, joiner, leaver] = [
      await verifiedUser(world),
      await verifiedUser(world),
      await verifiedUser(world),
    ];
    for (const user of [stays, joiner, leaver])
      await setPreferences(world, user, {
        level: 'all',
        channels: { push: true, email: false, sms: false },
        delays: { push: 1 },
      });
    const leaverDevice = await subscribePush(world, leaver);
    await subscribePush(world, stays);
    const chat = chatApi(world.gateway, owner.accessToken);
    const group = (await chat.group('crew', [stays.userId, leaver.userId])).body.id;
    const queuedFor = (messageId: string) =>
      eventually(async () => {
        const res = await ledger(world, owner.accessToken, messageId);
        return res.status === 200 && res.body.recipients.length > 0
          ? res.body.recipients.map((r) => r.recipientId).sort()
          : undefined;
      }, 30_000);

    // The first message has notification learn the members, which it then keeps.
    const before = (await chat.send(group, 'before the change')).body;
    // Deliveries are recorded one recipient after the other: wait for both before comparing.
    const first = await eventually(async () => {
      const list = await queuedFor(before.id);
      return list.length >= 2 ? list : undefined;
    }, 30_000);
    t.same(first, [stays.userId, leaver.userId].sort());
    await eventually(async () =>
      push.received.some((p) => p.subscriberId === leaverDevice.id) ? true : undefined,
    );

    const added = await chat.call(`/conversations/${group}/members`, { body: { userIds: [joiner.userId] } });
    t.equal(added.status, 200);
    const removed = await chat.call(`/conversations/${group}/members/${leaver.userId}`, { method: 'DELETE' });
    t.equal(removed.status, 204);

    // Well within the cache's age bound: only chat's member events can have refreshed it.
    const after = (await chat.send(group, 'after the change')).body;
    // Recorded one recipient after the other, as above: wait for both.
    const recipients = await eventually(async () => {
      const list = await queuedFor(after.id);
      return list.includes(joiner.userId) && list.includes(stays.userId) ? list : undefined;
    }, 30_000);
    t.ok(recipients.includes(stays.userId), 'the member who stayed is queued');
    t.ok(recipients.includes(joiner.userId), 'the new member is queued');
    await eventually(async () =>
      (await timelineEvents(world, owner.accessToken, after.id, stays.userId)).includes('pushed')
        ? true
        : undefined,
    );
    await sleep(3_000);
    const leaverPushes = push.received.filter((p) => p.subscriberId === leaverDevice.id);
    t.notOk(
      leaverPushes.some((p) => (p.payload.messageIds as string[]).includes(after.id)),
      'the removed member hears nothing of later messages',
    );
    t.same(
      (await timelineEvents(world, owner.accessToken, after.id, leaver.userId)).filter((e) => e === 'pushed'),
      [],
    );
  });

  await t.test('a subscription repeated with its request id is one subscription, pushed once', async (t) => {
    const gus = await verifiedUser(world);
    const hal = await verifiedUser(world);
    await setPreferences(world, hal, {
      channels: { push: true, email: false, sms: false },
      delays: { push: 1 },
    });
    const device = push.subscribe();
    const subscribe = () =>
      callJson<{ id: string }>(`${api}/notifications/push-subscriptions`, {
        token: hal.accessToken,
        headers: { 'x-request-id': `subscribe-${device.id}` },
        body: { endpoint: device.endpoint, keys: device.keys },
      });
    const first = await subscribe();
    const repeats = await Promise.all([subscribe(), subscribe()]);
    t.same([first.status, ...repeats.map((r) => r.status)], [201, 200, 200]);
    t.same(
      repeats.map((r) => r.body.id),
      [first.body.id, first.body.id],
    );
    const list = await callJson<{ items: unknown[] }>(`${api}/notifications/push-subscriptions`, {
      token: hal.accessToken,
    });
    t.equal(list.body.items.length, 1, 'one subscription');

    const chat = chatApi(world.gateway, gus.accessToken);
    const conversation = await chat.direct(hal.userId);
    await chat.send(conversation.body.id, 'once');
    await eventually(
      async () => (push.received.some((p) => p.subscriberId === device.id) ? true : undefined),
      60_000,
    );
    await sleep(2_000);
    t.equal(push.received.filter((p) => p.subscriberId === device.id).length, 1, 'one push');
  });

  await t.test('a push endpoint that answers 410 loses its subscription', async (t) => {
    const erin = await verifiedUser(world);
    const frank = await verifiedUser(world);
    await setPreferences(world, frank, {
      channels: { push: true, email: false, sms: false },
      delays: { push: 1 },
    });
    const device = await subscribePush(world, frank);
    push.answerWith(device.id, 410);
    const chat = chatApi(world.gateway, erin.accessToken);
    const conversation = await chat.direct(frank.userId);
    const message = (await chat.send(conversation.body.id, 'ping')).body;
    await eventually(async () => {
      const list = await callJson<{ items: unknown[] }>(`${api}/notifications/push-subscriptions`, {
        token: frank.accessToken,
      });
      return list.body.items.length === 0 ? true : undefined;
    }, 60_000);
    const timeline = await eventually(async () => {
      const res = await ledger(world, erin.accessToken, message.id);
      const entries = res.body.recipients?.[0]?.timeline ?? [];
      return entries.some((e) => e.event === 'failed') ? entries : undefined;
    });
    t.match(timeline.find((e) => e.event === 'failed')?.detail, /push endpoint gone/);
  });

  await t.test('bad input is answered with problem+json', async (t) => {
    const user = await registerAndLogin(world.gateway);
    const subscriber = push.subscribe();
    const insecure = await callJson<{ code: string }>(`${api}/notifications/push-subscriptions`, {
      token: user.accessToken,
      body: { endpoint: 'http://push.example.test/x', keys: subscriber.keys },
    });
    t.equal(insecure.status, 400);
    t.equal(insecure.body.code, 'NOTIFICATION_PUSH_ENDPOINT_REFUSED');
    const literal = await callJson<{ code: string }>(`${api}/notifications/push-subscriptions`, {
      token: user.accessToken,
      body: { endpoint: 'https://169.254.169.254/latest', keys: subscriber.keys },
    });
    t.equal(literal.status, 400, 'no address literals: the worker must not post to internal hosts');
    t.equal(literal.body.code, 'NOTIFICATION_PUSH_ENDPOINT_REFUSED');
    const badKeys = await callJson<{ code: string }>(`${api}/notifications/push-subscriptions`, {
      token: user.accessToken,
      body: { endpoint: subscriber.endpoint, keys: { p256dh: 'AAAA', auth: subscriber.keys.auth } },
    });
    t.equal(badKeys.status, 400);
    t.equal(badKeys.body.code, 'VALIDATION_FAILED');
    const badPrefs = await callJson<{ code: string }>(`${api}/notifications/preferences`, {
      method: 'PATCH',
      token: user.accessToken,
      body: { quietHours: { start: '25:00', end: '07:00', allowUrgent: false }, level: 'loud' },
    });
    t.equal(badPrefs.status, 400);
    t.equal(badPrefs.body.code, 'VALIDATION_FAILED');
    const malformed = await callJson<{ code: string }>(
      `${api}/notifications/preferences/conversations/c_not_mine`,
      { method: 'PUT', token: user.accessToken, body: { level: 'all' } },
    );
    t.equal(malformed.status, 400, 'a malformed conversation id');
    t.equal(malformed.body.code, 'VALIDATION_FAILED');
    const stranger = await callJson<{ code: string }>(
      `${api}/notifications/preferences/conversations/c_${'0'.repeat(24)}`,
      { method: 'PUT', token: user.accessToken, body: { level: 'all' } },
    );
    t.equal(stranger.status, 404, 'a conversation of others, or none');
    const anonymous = await callJson(`${api}/notifications/preferences`);
    t.equal(anonymous.status, 401);
  });
});
