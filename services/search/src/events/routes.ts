import {
  Topics,
  chatMessageEvent,
  userDeletedEvent,
  userRegisteredEvent,
  userUpdatedEvent,
} from '@parley/contracts';
import { onEvent } from '@parley/service-kit';
import type { Express } from 'express';
import type { MessageIndexer } from '../messages/message-indexer';
import type { PeopleIndexer } from '../people/people-indexer';

/** Topics this service subscribes to (components/subscription-search-*.yaml), for readiness. */
export const SEARCH_TOPICS = [
  Topics.chatMessageCreated,
  Topics.chatMessageEdited,
  Topics.chatMessageDeleted,
  Topics.userRegistered,
  Topics.userUpdated,
  Topics.userDeleted,
] as const;

/** The route each subscription delivers to: `/dapr/events/` and the topic with dashes. */
export function eventRoute(topic: string): string {
  return `/dapr/events/${topic.replaceAll('.', '-')}`;
}

export function mountEventRoutes(app: Express, messages: MessageIndexer, people: PeopleIndexer): void {
  for (const topic of [Topics.chatMessageCreated, Topics.chatMessageEdited, Topics.chatMessageDeleted]) {
    onEvent(app, eventRoute(topic), chatMessageEvent, async ({ data }) => {
      await messages.apply(data.message);
    });
  }
  onEvent(app, eventRoute(Topics.userRegistered), userRegisteredEvent, async ({ data }) => {
    await people.upsert(data.user, data.occurredAt);
  });
  onEvent(app, eventRoute(Topics.userUpdated), userUpdatedEvent, async ({ data }) => {
    await people.upsert(data.user, data.occurredAt);
  });
  onEvent(app, eventRoute(Topics.userDeleted), userDeletedEvent, async ({ data }) => {
    await people.remove(data.userId, data.occurredAt);
  });
}
