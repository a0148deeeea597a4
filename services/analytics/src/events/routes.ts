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

/** When the event happened: the CloudEvent's time, or now when the publisher gave none. */
function timeOf(event: EventEnvelope<unknown>): Date {
  const time = event.time ? new Date(event.time) : new Date();
  return Number.isNaN(time.getTime()) ? new Date() : time;
}

export function mountEventRoutes(app: Express, recorder: Recorder): void {
  onEvent(app, eventRoute(Topics.chatMessageCreated), chatMessageEvent, async (event) => {
    await recorder.once(event.id, () => recorder.messageCreated(event.data));
  });
  onEvent(app, eventRoute(Topics.chatReceiptUpdated), chatReceiptEvent, async (event) => {
    await recorder.once(event.id, () => recorder.receipt(event.data, timeOf(event)));
  });
  onEvent(app, eventRoute(Topics.chatMemberAdded), chatMemberEvent, async (event) => {
    await recorder.once(event.id, () => recorder.memberAdded(event.data, timeOf(event)));
  });
  onEvent(app, eventRoute(UsageTopics.mediaUploaded), mediaUploadedEvent, async (event) => {
    await recorder.once(event.id, () => recorder.mediaUploaded(event.data));
  });
  onEvent(app, eventRoute(UsageTopics.notificationOutcome), notificationOutcomeEvent, async (event) => {
    await recorder.once(event.id, () => recorder.notificationOutcome(event.data));
  });
}
