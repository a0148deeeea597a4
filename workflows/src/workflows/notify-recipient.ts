import {
  ActivityFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { NotifyServiceActivities } from '../activities/notify-service';
import {
  NOTIFY_PREFERENCES_CHANGED,
  NOTIFY_STEPS,
  type ChannelJob,
  type ChannelResult,
  type NotifyMessageSignal,
  type NotifyReadSignal,
  type NotifyRecipientState,
  type NotifySchedule,
  type NotifyStep,
  type PendingMessage,
  notifySendKey,
} from '../activities/notify-types';
import type { PushActivities } from '../activities/push';
import type { DigestEmailActivities } from '../activities/notify-email';
import type { SmsActivities } from '../activities/sms';

export const notifyMessageSignal = defineSignal<[NotifyMessageSignal]>('notifyMessage');
export const notifyReadSignal = defineSignal<[NotifyReadSignal]>('notifyRead');
/**
 * The recipient changed their preferences (delays, quiet hours): what is pending is timed again
 * from fresh ones, in both directions, instead of at the due times computed from the old ones.
 */
export const notifyPreferencesChangedSignal = defineSignal(NOTIFY_PREFERENCES_CHANGED);
/** What is still pending, for operators and tests (the Temporal UI shows it too). */
export const notifyPendingQuery = defineQuery<PendingMessage[]>('notifyPending');

const { loadNotifySchedule, planNotifyStep } = proxyActivities<NotifyServiceActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// Provider calls: a provider outage is waited out with backoff for about a day; a permanent
// refusal is a non-retryable failure the activity already recorded. The activities heartbeat the
// provider's acceptance (see `SendCheckpoint`); the heartbeat timeout retries the attempt of a
// dead worker after 10 s instead of 30, and that retry records what the heartbeat says was
// accepted instead of sending again.
const channels = proxyActivities<PushActivities & DigestEmailActivities & SmsActivities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    maximumAttempts: 150,
  },
});

/** Remembered message ids, against redelivered events. */
const RECENT_LIMIT = 500;
/**
 * The change that lets a message signalled again, now urgent, become urgent. Histories recorded
 * before it replay without it: such a signal was ignored there.
 */
export const URGENT_UPGRADE_PATCH = 'notify-urgent-upgrade';
/** A recipient with nothing pending this long lets the workflow end; the next message starts one. */
const IDLE_MS = 24 * 60 * 60 * 1000;
/** Preferences are read again after this long, after every step, and when they change (signal). */
const SCHEDULE_TTL_MS = 60 * 1000;
/** Events in one run before continuing as new, to keep histories bounded. */
const HISTORY_LIMIT = 2_000;
/**
 * Unread messages kept pending at most; past it the oldest go unnotified. A plan takes at most
 * 1,000 messages, and one refused for too many would be retried for good, holding up every
 * notification of the recipient.
 */
const MAX_PENDING = 500;

function keepNewest(pending: PendingMessage[]): PendingMessage[] {
  return pending.length > MAX_PENDING ? pending.slice(pending.length - MAX_PENDING) : pending;
}

/**
 * One per recipient (`notify-<userId>`): owns what the recipient has not read yet and escalates it
 * through push, then an email digest, then SMS, each after the recipient's delay, each only if
 * still unread and allowed. Signals bring new messages and reads; the service's plans decide
 * preferences, quiet hours and content, so this code only keeps time and state.
 */
export async function notifyRecipient(input: NotifyRecipientState): Promise<void> {
  const state: NotifyRecipientState = {
    userId: input.userId,
    pending: keepNewest([...input.pending]),
    recent: [...input.recent],
    readUpTo: { ...input.readUpTo },
    ...(input.upgradable ? { upgradable: [...input.upgradable] } : {}),
  };
  let changed = false;

  setHandler(notifyMessageSignal, (message) => {
    if (state.recent.includes(message.messageId)) {
      if (message.urgent && patched(URGENT_UPGRADE_PATCH)) changed = becomeUrgent(state, message) || changed;
      return;
    }
    remember(state.recent, message.messageId);
    if (!message.urgent && patched(URGENT_UPGRADE_PATCH)) {
      state.upgradable ??= [];
      remember(state.upgradable, message.messageId);
    }
    if ((state.readUpTo[message.conversationId] ?? 0) >= message.seq) return;
    const now = new Date().getTime();
    state.pending.push({ ...message, arrivedAt: now, done: [], notBefore: 0 });
    state.pending = keepNewest(state.pending);
    changed = true;
  });

  setHandler(notifyReadSignal, ({ conversationId, seq }) => {
    state.readUpTo[conversationId] = Math.max(state.readUpTo[conversationId] ?? 0, seq);
    const before = state.pending.length;
    state.pending = state.pending.filter((m) => m.conversationId !== conversationId || m.seq > seq);
    if (state.pending.length !== before) changed = true;
  });

  setHandler(notifyPendingQuery, () => state.pending);

  let schedule: NotifySchedule | null = null;
  let scheduleAt = 0;
  // Set only by the signal below, so histories without it replay exactly as before.
  let preferencesChanged = false;

  setHandler(notifyPreferencesChangedSignal, () => {
    preferencesChanged = true;
    // A wait for quiet hours (or for a longer delay) ends too: the next plan decides it again.
    for (const message of state.pending) message.notBefore = 0;
  });

  for (;;) {
    if (workflowInfo().historyLength > HISTORY_LIMIT || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof notifyRecipient>(state);
    }
    if (state.pending.length === 0) {
      const woke = await condition(() => state.pending.length > 0, IDLE_MS);
      if (!woke) return;
    }
    const now = new Date().getTime();
    if (!schedule || preferencesChanged || now - scheduleAt > SCHEDULE_TTL_MS) {
      preferencesChanged = false;
      schedule = await loadNotifySchedule(state.userId);
      scheduleAt = new Date().getTime();
    }
    const { due, next } = dueSteps(state.pending, schedule, new Date().getTime());
    if (due.length === 0) {
      changed = false;
      const wake = () => changed || preferencesChanged;
      if (next !== null) await condition(wake, Math.max(1, next - new Date().getTime()));
      continue;
    }
    for (const step of due) await runStep(state, step);
    state.pending = state.pending.filter((m) => m.done.length < NOTIFY_STEPS.length);
    // Every step ran against fresh preferences; the next due time may differ.
    schedule = null;
  }
}

function remember(ids: string[], id: string): void {
  ids.push(id);
  if (ids.length > RECENT_LIMIT) ids.splice(0, ids.length - RECENT_LIMIT);
}

/**
 * A message first signalled without urgency, signalled again as urgent (an edit mentioned the
 * recipient by name): unless read, it is pending as urgent for SMS, which skipped it for not being
 * urgent, and for any step quiet hours held back. A step that went out already is not repeated:
 * still pending, the message keeps its other steps and its arrival; through them all, it comes
 * back for SMS alone, timed from now. Once per message: the id leaves `upgradable`, so a
 * redelivered signal (or a message urgent from the start) changes nothing. Returns whether
 * anything pending changed.
 */
function becomeUrgent(state: NotifyRecipientState, message: NotifyMessageSignal): boolean {
  const index = state.upgradable?.indexOf(message.messageId) ?? -1;
  if (index < 0) return false;
  state.upgradable!.splice(index, 1);
  if ((state.readUpTo[message.conversationId] ?? 0) >= message.seq) return false;
  const pending = state.pending.find((m) => m.messageId === message.messageId);
  if (pending) {
    pending.kind = message.kind;
    pending.urgent = true;
    pending.done = pending.done.filter((step) => step !== 'sms');
    pending.notBefore = 0;
  } else {
    const now = new Date().getTime();
    const done = NOTIFY_STEPS.filter((step) => step !== 'sms');
    state.pending.push({ ...message, arrivedAt: now, done, notBefore: 0 });
    state.pending = keepNewest(state.pending);
  }
  return true;
}

/** Which steps have a message due now, and when the next one comes due otherwise. */
function dueSteps(
  pending: PendingMessage[],
  schedule: NotifySchedule,
  now: number,
): { due: NotifyStep[]; next: number | null } {
  const due = new Set<NotifyStep>();
  let next: number | null = null;
  for (const message of pending) {
    for (const step of NOTIFY_STEPS) {
      if (message.done.includes(step)) continue;
      const at = Math.max(message.arrivedAt + schedule.delays[step] * 1000, message.notBefore);
      if (at <= now) due.add(step);
      else next = next === null ? at : Math.min(next, at);
    }
  }
  return { due: NOTIFY_STEPS.filter((s) => due.has(s)), next };
}

/**
 * Runs one step over every pending message not yet through it: a message coming due brings the
 * others along, so several unread messages become one push per conversation and one digest.
 */
async function runStep(state: NotifyRecipientState, step: NotifyStep): Promise<void> {
  const candidates = state.pending.filter((m) => !m.done.includes(step));
  if (candidates.length === 0) return;
  const plan = await planNotifyStep(state.userId, step, candidates);
  const byId = new Map(state.pending.map((m) => [m.messageId, m]));
  const markDone = (ids: string[]) => {
    for (const id of ids) {
      const message = byId.get(id);
      if (message && !message.done.includes(step)) message.done.push(step);
    }
  };

  const read = new Set(plan.read);
  state.pending = state.pending.filter((m) => !read.has(m.messageId));
  markDone(plan.skipped);
  if (plan.deferredUntil !== null) {
    for (const id of plan.deferred) {
      const message = byId.get(id);
      if (message) message.notBefore = plan.deferredUntil;
    }
  }
  if (!plan.job || plan.deliver.length === 0) return;

  const key = notifySendKey(workflowInfo().workflowId, step, plan.deliver[0]!);
  try {
    await sendJob(key, state.userId, plan.job);
  } catch (err) {
    // A permanent refusal (recorded by the activity) or retries exhausted after about a day:
    // either way escalation goes on with the next channel instead of failing the recipient.
    if (!(err instanceof ActivityFailure)) throw err;
  }
  markDone(plan.deliver);
}

function sendJob(key: string, userId: string, job: ChannelJob): Promise<ChannelResult> {
  switch (job.channel) {
    case 'push':
      return channels.sendPush(key, userId, job);
    case 'email':
      return channels.sendDigestEmail(key, userId, job);
    case 'sms':
      return channels.sendSms(key, userId, job);
  }
}
