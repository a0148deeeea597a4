import {
  Topics,
  chatConversationEvent,
  chatMemberEvent,
  chatMessageEvent,
  chatReceiptEvent,
  sessionRevokedEvent,
  userBlockChangedEvent,
} from '@parley/contracts';
import { type EventEnvelope, onEvent } from '@parley/service-kit';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type { RevokedSessions } from './revoked-sessions';
import type { Realtime } from './server';

/** The topics the gateway subscribes to, each delivered to `/dapr/events/<topic with dashes>`. */
export const REALTIME_TOPICS = [
  Topics.chatMessageCreated,
  Topics.chatMessageEdited,
  Topics.chatMessageDeleted,
  Topics.chatReactionChanged,
  Topics.chatReceiptUpdated,
  Topics.chatMemberAdded,
  Topics.chatMemberRemoved,
  Topics.chatConversationUpdated,
  Topics.sessionRevoked,
  Topics.userBlockChanged,
] as const;

export const eventRoute = (topic: string) => `/dapr/events/${topic.replaceAll('.', '-')}`;

/** Remember applied event ids this long: far beyond any redelivery. */
const SEEN_TTL_SECONDS = 24 * 60 * 60;

/**
 * Turns chat events into socket events. Each event reaches one gateway replica (the replicas share
 * a consumer group); the room broadcast reaches sockets on all of them. An id seen before is
 * skipped, so a redelivered event is not broadcast twice (new messages are deduplicated per socket
 * instead).
 */
export function mountRealtimeSubscriptions(
  app: Express,
  realtime: Realtime,
  redis: Redis,
  revokedSessions: RevokedSessions,
): void {
  const once = async (event: EventEnvelope<unknown>, apply: () => Promise<void> | void) => {
    const fresh = await redis.set(`parley:gateway:event:${event.id}`, '1', 'EX', SEEN_TTL_SECONDS, 'NX');
    if (fresh === 'OK') await apply();
  };

  // New messages skip the seen-id check: every socket sends a conversation's messages in sequence
  // order and drops what it already sent, so a redelivered message reaches nobody twice, and
  // each message is spared a Redis write before it goes out.
  onEvent(app, eventRoute(Topics.chatMessageCreated), chatMessageEvent, async (event) => {
    realtime.messageCreated(event.data.message);
  });
  const messageChanges = [
    [Topics.chatMessageEdited, 'message:edited'],
    [Topics.chatMessageDeleted, 'message:deleted'],
    [Topics.chatReactionChanged, 'reaction'],
  ] as const;
  for (const [topic, name] of messageChanges) {
    onEvent(app, eventRoute(topic), chatMessageEvent, (event) =>
      once(event, () => realtime.toConversation(event.data.conversationId, name, event.data)),
    );
  }
  onEvent(app, eventRoute(Topics.chatReceiptUpdated), chatReceiptEvent, (event) =>
    once(event, () => realtime.toConversation(event.data.conversationId, 'receipt', event.data)),
  );
  onEvent(app, eventRoute(Topics.chatConversationUpdated), chatConversationEvent, (event) =>
    once(event, () => realtime.toConversation(event.data.conversationId, 'conversation:updated', event.data)),
  );
  onEvent(app, eventRoute(Topics.chatMemberAdded), chatMemberEvent, (event) =>
    once(event, () => realtime.memberAdded(event.data.conversationId, event.data.userId, event.data)),
  );
  onEvent(app, eventRoute(Topics.chatMemberRemoved), chatMemberEvent, (event) =>
    once(event, () => realtime.memberRemoved(event.data.conversationId, event.data.userId, event.data)),
  );
  // Not once-only: remembering a revocation again and closing no socket twice are both harmless,
  // and a redelivery after a crash between the two steps must still close the sockets.
  onEvent(app, eventRoute(Topics.sessionRevoked), sessionRevokedEvent, async (event) => {
    await revokedSessions.add(event.data.sessionIds);
    realtime.endSessions(event.data.sessionIds);
  });
  // Not once-only either: refreshing the pair's audiences again is harmless, and a redelivery
  // after chat failed to answer must still refresh them.
  onEvent(app, eventRoute(Topics.userBlockChanged), userBlockChangedEvent, async ({ data }) => {
    await realtime.blockChanged(data);
  });
}
