import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import t from 'tap';
import { startTemporalDevServer, temporalBin, temporalMissing, testWorker } from './temporal-dev-server';
import type {
  ChannelJob,
  NotifyMessageSignal,
  NotifyRecipientState,
  NotifyStep,
  PlanMessage,
  StepPlan,
} from '../src/activities/notify-types';

// The per-recipient notification workflow on a real Temporal dev server and worker, with the
// notification service's plans and the channels replaced: which steps go out for a message that
// becomes urgent after it was first signalled (an edit that mentions the recipient by name).

/** Seconds from a message's arrival to each step: push and email at once, SMS a little later. */
const DELAYS: Record<NotifyStep, number> = { push: 0, email: 0, sms: 2 };

t.test('a message that becomes urgent on a real Temporal server', { skip: temporalMissing }, async (t) => {
  const { address, client } = await startTemporalDevServer(t);

  // What went out, as `<user> <step> <message ids>`. The plans follow the service's one rule that
  // matters here: SMS is for urgent messages only.
  const sent: string[] = [];
  // The fake plans name a job's messages at its top, whatever the channel.
  const send = async (_key: string, userId: string, job: ChannelJob) => {
    const { messageIds } = job as ChannelJob & { messageIds: string[] };
    sent.push(`${userId} ${job.channel} ${messageIds.join(',')}`);
    return { delivered: messageIds };
  };
  const activities = {
    loadNotifySchedule: async () => ({ delays: DELAYS }),
    planNotifyStep: async (_userId: string, step: NotifyStep, messages: PlanMessage[]): Promise<StepPlan> => {
      const skipped = messages.filter((m) => step === 'sms' && !m.urgent).map((m) => m.messageId);
      const deliver = messages.map((m) => m.messageId).filter((id) => !skipped.includes(id));
      const job = { channel: step, messageIds: deliver } as unknown as ChannelJob;
      return { read: [], skipped, deferred: [], deferredUntil: null, deliver, job };
    },
    sendPush: send,
    sendDigestEmail: send,
    sendSms: send,
  };

  const taskQueue = 'notify-urgent-upgrade-test';
  const worker = await testWorker(t, address, taskQueue, activities);

  const signal = (userId: string, messageId: string, urgent: boolean) => {
    const initial: NotifyRecipientState = { userId, pending: [], recent: [], readUpTo: {} };
    const message: NotifyMessageSignal = {
      messageId,
      conversationId: 'c_1',
      seq: Number(messageId.replace(/\D/g, '')),
      kind: urgent ? 'mention' : 'all',
      urgent,
    };
    return client.workflow.signalWithStart('notifyRecipient', {
      workflowId: `notify-${userId}`,
      taskQueue,
      args: [initial],
      signal: 'notifyMessage',
      signalArgs: [message],
    });
  };
  const sentTo = (userId: string) => sent.filter((line) => line.startsWith(`${userId} `));
  const until = async (what: () => boolean, ms = 10_000) => {
    for (const end = Date.now() + ms; !what() && Date.now() < end;) await sleep(100);
  };
  /** Long enough for an SMS due after a signal to have gone. */
  const settle = () => sleep(DELAYS.sms * 1000 + 1_500);

  await worker.runUntil(async () => {
    // Still pending when it becomes urgent: SMS follows; push and email are not repeated.
    await signal('u_pending', 'm1', false);
    await until(() => sentTo('u_pending').length === 2);
    await signal('u_pending', 'm1', true);
    await signal('u_pending', 'm1', true);
    await settle();

    // Through every step already (SMS skipped it), unread: it comes back for SMS alone.
    await signal('u_finished', 'm2', false);
    await settle();
    await signal('u_finished', 'm2', true);
    await settle();
    await signal('u_finished', 'm2', true);
    await settle();

    // Urgent from the start: a redelivered signal after every step sends nothing again.
    await signal('u_urgent', 'm3', true);
    await settle();
    await signal('u_urgent', 'm3', true);
    await settle();
  });

  // For the replay test in this package (`histories/`): see `notify-replay.test.ts`.
  if (process.env.RECORD_NOTIFY_HISTORIES === '1') {
    for (const userId of ['u_pending', 'u_finished']) {
      const args = ['workflow', 'show', '-w', `notify-${userId}`, '--address', address, '-o', 'json'];
      const { stdout } = await promisify(execFile)(temporalBin, args, { maxBuffer: 64 * 1024 * 1024 });
      const history = JSON.stringify(
        JSON.parse(stdout),
        // The worker's identity and sticky queue name (`<pid>@<host>`) carry the host's name.
        (key, value: unknown) =>
          key === 'identity' || (typeof value === 'string' && /^(worker|\d+)@/.test(value))
            ? 'recorded'
            : value,
        2,
      );
      const name = `notify-urgent-again-${userId.replace('u_', '')}.json`;
      writeFileSync(join(__dirname, 'histories', name), `${history}\n`);
    }
  }

  t.same(
    sentTo('u_pending'),
    ['u_pending push m1', 'u_pending email m1', 'u_pending sms m1'],
    'pending when it became urgent: SMS follows once, nothing sent twice',
  );
  t.same(
    sentTo('u_finished'),
    ['u_finished push m2', 'u_finished email m2', 'u_finished sms m2'],
    'through every step when it became urgent: SMS alone follows, once',
  );
  t.same(
    sentTo('u_urgent'),
    ['u_urgent push m3', 'u_urgent email m3', 'u_urgent sms m3'],
    'urgent from the start: each step once',
  );
});
