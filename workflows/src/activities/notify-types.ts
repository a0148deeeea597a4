/**
 * What the notification service and the per-recipient workflow exchange. Types only: the service
 * decides (preferences, read state, quiet hours, content), the workflow keeps time and state, and
 * the channel activities talk to providers.
 */

/** The channels a recipient is escalated through, in order. */
export const NOTIFY_STEPS = ['push', 'email', 'sms'] as const;

export type NotifyStep = (typeof NOTIFY_STEPS)[number];

/**
 * Why a recipient hears of a message: a direct conversation, a mention of them (or of everyone),
 * or any message of a group they follow entirely.
 */
export type NotifyKind = 'direct' | 'mention' | 'all';

/**
 * Signal `notifyMessage`: a message the recipient may need to hear of. Signalled again for the same
 * message, it is ignored, but for a message first signalled without urgency and now urgent: that
 * one is pending again, now urgent, for the steps still to come (SMS), once.
 */
export interface NotifyMessageSignal {
  messageId: string;
  conversationId: string;
  seq: number;
  kind: NotifyKind;
  /** A direct message or a personal mention: may go by SMS, and through quiet hours if allowed. */
  urgent: boolean;
}

/** Signal `notifyRead`: the recipient read a conversation up to `seq`, on some device. */
export interface NotifyReadSignal {
  conversationId: string;
  seq: number;
}

/** Signal `notifyPreferencesChanged` (no arguments): the recipient's preferences changed. */
export const NOTIFY_PREFERENCES_CHANGED = 'notifyPreferencesChanged';

/** A message as a step's plan is asked for it: with when the workflow learned of it. */
export interface PlanMessage extends NotifyMessageSignal {
  /** Workflow time (ms); the service times the step from here with the recipient's current delay. */
  arrivedAt?: number;
}

export interface PendingMessage extends NotifyMessageSignal {
  /** Workflow time (ms) the workflow learned of it; the delays count from here. */
  arrivedAt: number;
  /** Steps handled (sent, skipped by preference, or failed for good). */
  done: NotifyStep[];
  /** Workflow time before which no step may run: the end of quiet hours. */
  notBefore: number;
}

/** The workflow's whole state, handed to the next run by continue-as-new. */
export interface NotifyRecipientState {
  userId: string;
  pending: PendingMessage[];
  /** Ids of recently signalled messages, so a redelivered event notifies nobody twice. */
  recent: string[];
  /**
   * Ids of recent messages first signalled without urgency, each of which may become urgent once
   * (an edit that mentions the recipient by name). Absent from runs started before it was kept.
   */
  upgradable?: string[];
  /** Highest read sequence seen per conversation: a late event for a read message is ignored. */
  readUpTo: Record<string, number>;
}

/** The recipient's delays, in seconds from a message's arrival, for each step. */
export interface NotifySchedule {
  delays: Record<NotifyStep, number>;
}

export interface PushSubscriptionTarget {
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface PushJob {
  channel: 'push';
  subscriptions: PushSubscriptionTarget[];
  /** One notification per conversation. */
  notifications: { conversationId: string; title: string; body: string; url: string; messageIds: string[] }[];
}

export interface EmailJob {
  channel: 'email';
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
  /** Signed one-click unsubscribe link (RFC 8058). */
  unsubscribeUrl: string;
  messageIds: string[];
}

export interface SmsJob {
  channel: 'sms';
  /** E.164 number. */
  to: string;
  body: string;
  /** Where Twilio reports delivery status; signed by Twilio, checked by the service. */
  statusCallbackUrl: string;
  messageIds: string[];
}

export type ChannelJob = PushJob | EmailJob | SmsJob;

/** What the service decided for one step over a batch of pending messages. */
export interface StepPlan {
  /** Already read: drop them. */
  read: string[];
  /** Not for this channel (preferences, no address): mark the step done. */
  skipped: string[];
  /** Quiet hours: run the step again at `deferredUntil` (epoch ms). */
  deferred: string[];
  deferredUntil: number | null;
  /** Covered by `job`. */
  deliver: string[];
  job: ChannelJob | null;
}

/** What a channel activity reports back. */
export interface ChannelResult {
  /** Messages the provider accepted for at least one target. */
  delivered: string[];
}

/**
 * The idempotency key of one provider call: the recipient's workflow, the step and the first
 * message of the batch. Each message goes through each step once, so no two calls share a key,
 * and a retried call (or a replayed workflow) reuses it. Pure, so workflow code may call it.
 */
export function notifySendKey(workflowId: string, step: NotifyStep, firstMessageId: string): string {
  return `${workflowId}/${step}/${firstMessageId}`;
}
