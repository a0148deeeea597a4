import {
  Topics,
  UsageTopics,
  chatMemberEvent,
  chatMessageEvent,
  chatReceiptEvent,
  mediaUploadedEvent,
  notificationOutcomeEvent,
} from '@parley/contracts';
import { type EventEnvelope, onEvent } from '@parley/service-kit';
import type { Express } from 'express';
import type { Recorder } from '../figures/recorder';

/** Topics counted here (components/subscription-analytics-*.yaml), for readiness. */
export const ANALYTICS_TOPICS = [
  Topics.chatMessageCreated,
  Topics.chatReceiptUpdated,
  Topics.chatMemberAdded,
  UsageTopics.mediaUploaded,
  UsageTopics.notificationOutcome,
] as const;

export function eventRoute(topic: string): string {
  return `/dapr/events/${topic.replaceAll('.', '-')}`;
}

/** Within this long of its publication, an event is taken to happen when it is handled. */
const FRESH_MS = 2_000;

/**
 * When the event happened. The sidecar stamps CloudEvents in whole seconds, too coarse for
 * delivery times of milliseconds: an event handled within moments of its stamp is timed at its
 * handling; one from a backlog (the service was down) keeps its stamp.
 */
function timeOf(event: EventEnvelope<unknown>): Date {
  const now = new Date();
  const stamped = event.time ? Date.parse(event.time) : NaN;
  if (Number.isNaN(stamped) || now.getTime() - stamped < FRESH_MS) return now;
  return new Date(stamped);
}

export function mountEventRoutes(app: Express, recorder: Recorder): void {
  onEvent(app, eventRoute(Topics.chatMessageCreated), chatMessageEvent, async (event) => {
    await recorder.messageCreated(event.data);
  });
  onEvent(app, eventRoute(Topics.chatReceiptUpdated), chatReceiptEvent, async (event) => {
    await recorder.receipt(event.data, timeOf(event));
  });
  onEvent(app, eventRoute(Topics.chatMemberAdded), chatMemberEvent, async (event) => {
    await recorder.memberAdded(event.data, timeOf(event));
  });
  onEvent(app, eventRoute(UsageTopics.mediaUploaded), mediaUploadedEvent, async (event) => {
    await recorder.once(event.id, () => recorder.mediaUploaded(event.data));
  });
  onEvent(app, eventRoute(UsageTopics.notificationOutcome), notificationOutcomeEvent, async (event) => {
    await recorder.once(event.id, () => recorder.notificationOutcome(event.data));
  });
}
