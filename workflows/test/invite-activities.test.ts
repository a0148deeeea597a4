import type { Sidecar } from '@parley/service-kit';
import { ApplicationFailure } from '@temporalio/activity';
import t from 'tap';
import { createInviteActivities } from '../src/activities/invite';

/** A sidecar that answers every invocation with one status and body, and remembers the calls. */
function answering(status: number, body: unknown) {
  const calls: { app: string; method: string; init: unknown }[] = [];
  const sidecar = {
    invoke: async (app: string, method: string, init: unknown) => {
      calls.push({ app, method, init });
      return { status, contentType: 'application/json', body };
    },
  } as unknown as Sidecar;
  return { sidecar, calls };
}

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (err: unknown) =>
      err instanceof ApplicationFailure ? `${err.nonRetryable ? 'final' : 'retry'}:${err.type}` : 'other',
  );

t.test('a callee’s 4xx is final with its code; a 5xx is retried', async (t) => {
  const admit = (status: number, body: unknown) =>
    createInviteActivities({ sidecar: answering(status, body).sidecar }).admitInvitee({
      inviteId: 'i',
      conversationId: 'c_0',
      userId: 'u',
      inviterId: 'a',
      approverId: null,
    });
  t.equal(await outcome(admit(409, { code: 'CHAT_GROUP_FULL' })), 'final:CHAT_GROUP_FULL');
  t.equal(await outcome(admit(403, { code: 'CHAT_ROLE_REQUIRED' })), 'final:CHAT_ROLE_REQUIRED');
  t.equal(await outcome(admit(503, { code: 'DEPENDENCY_UNAVAILABLE' })), 'retry:DEPENDENCY_UNAVAILABLE');
  t.equal(await outcome(admit(429, 'slow down')), 'retry:UPSTREAM_FAILED');
  t.equal(await outcome(admit(200, { added: true })), 'ok');
});

t.test('an SMS invite is handed to the sender with a key per invite and kind', async (t) => {
  const { sidecar, calls } = answering(200, { channel: 'sms', sms: { to: '+14155550100', body: 'join' } });
  const sent: unknown[] = [];
  const { deliverInvite } = createInviteActivities({
    sidecar,
    sendInviteSms: async (sms) => {
      sent.push(sms);
      return { sid: 'SM1' };
    },
  });
  t.same(await deliverInvite({ inviteId: 'abc', kind: 'reminder' }), { channel: 'sms:SM1' });
  t.same(sent, [{ to: '+14155550100', body: 'join', idempotencyKey: 'invite-abc-reminder' }]);
  t.equal(calls[0]?.method, 'internal/v1/invites/abc/deliveries');

  const without = createInviteActivities({ sidecar });
  t.equal(
    await outcome(without.deliverInvite({ inviteId: 'abc', kind: 'initial' })),
    'final:INVITE_SMS_UNAVAILABLE',
    'without a provider the invite fails for good, never pretends to send',
  );
});
