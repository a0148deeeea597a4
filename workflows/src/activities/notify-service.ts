import type { Sidecar } from '@parley/service-kit';
import type { NotifySchedule, NotifyStep, PendingMessage, PlanMessage, StepPlan } from './notify-types';

/** A provider call's record in the notification service's send ledger. */
export interface SendRecord {
  /** `new`: nobody tried yet. `intent`: a try began and may or may not have reached the provider. */
  state: 'new' | 'intent' | 'sent' | 'failed';
  intentAt: string;
  providerId: string | null;
  reason: string | null;
}

export interface SendIntent {
  key: string;
  userId: string;
  channel: NotifyStep;
  messageIds: string[];
}

export interface SendOutcome extends SendIntent {
  outcome: 'sent' | 'failed';
  providerId?: string | null;
  reason?: string | null;
}

const NOTIFICATION_APP = 'notification';

/**
 * The worker's way to the notification service, through both sidecars: the service owns the
 * preferences, the ledger and its MongoDB database, so activities ask it rather than the database.
 */
export class NotifyServiceClient {
  constructor(private readonly sidecar: Sidecar) {}

  schedule(userId: string): Promise<NotifySchedule> {
    return this.sidecar.invokeOk(NOTIFICATION_APP, `internal/v1/recipients/${userId}/schedule`);
  }

  plan(userId: string, step: NotifyStep, messages: PlanMessage[]): Promise<StepPlan> {
    return this.sidecar.invokeOk(NOTIFICATION_APP, `internal/v1/recipients/${userId}/plans`, {
      method: 'POST',
      body: { step, messages },
    });
  }

  /** Records that a provider call is about to happen; answers what an earlier try left. */
  beginSend(intent: SendIntent): Promise<SendRecord> {
    return this.sidecar.invokeOk(NOTIFICATION_APP, `internal/v1/sends/${encodeURIComponent(intent.key)}`, {
      method: 'POST',
      body: { userId: intent.userId, channel: intent.channel, messageIds: intent.messageIds },
    });
  }

  /** Records what the provider said; the service adds it to the timelines and publishes the outcome. */
  async finishSend(outcome: SendOutcome): Promise<void> {
    await this.sidecar.invokeOk(NOTIFICATION_APP, `internal/v1/sends/${encodeURIComponent(outcome.key)}`, {
      method: 'PUT',
      body: {
        userId: outcome.userId,
        channel: outcome.channel,
        messageIds: outcome.messageIds,
        outcome: outcome.outcome,
        providerId: outcome.providerId ?? null,
        reason: outcome.reason ?? null,
      },
    });
  }

  async removePushSubscriptions(userId: string, ids: string[], reason: string): Promise<void> {
    await this.sidecar.invokeOk(
      NOTIFICATION_APP,
      `internal/v1/recipients/${userId}/push-subscriptions/removals`,
      {
        method: 'POST',
        body: { ids, reason },
      },
    );
  }
}

export interface NotifyServiceActivityDeps {
  notifyService: NotifyServiceClient;
}

/** The activities through which the workflow asks the service for its decisions. */
export function createNotifyServiceActivities({ notifyService }: NotifyServiceActivityDeps) {
  return {
    async loadNotifySchedule(userId: string): Promise<NotifySchedule> {
      return notifyService.schedule(userId);
    },

    async planNotifyStep(userId: string, step: NotifyStep, messages: PendingMessage[]): Promise<StepPlan> {
      const signals = messages.map(({ messageId, conversationId, seq, kind, urgent, arrivedAt }) => ({
        messageId,
        conversationId,
        seq,
        kind,
        urgent,
        arrivedAt,
      }));
      return notifyService.plan(userId, step, signals);
    },
  };
}

export type NotifyServiceActivities = ReturnType<typeof createNotifyServiceActivities>;
