import {
  type ChatConversationEvent,
  type ChatMemberEvent,
  type ChatMessageEvent,
  type ChatReceiptEvent,
  Topics,
} from '@parley/contracts';

type MessageTopic =
  | typeof Topics.chatMessageCreated
  | typeof Topics.chatMessageEdited
  | typeof Topics.chatMessageDeleted
  | typeof Topics.chatReactionChanged;

/**
 * Publishes chat changes through the sidecar. Every event id is derived from the change itself,
 * so publishing the same change twice (a retried send re-publishes) yields the same id and
 * consumers apply it once.
 */
export interface ChatEvents {
  message(topic: MessageTopic, data: ChatMessageEvent): Promise<void>;
  receipt(data: ChatReceiptEvent): Promise<void>;
  member(kind: 'added' | 'removed', data: ChatMemberEvent, joinedAt: Date): Promise<void>;
  conversation(data: ChatConversationEvent): Promise<void>;
}

/** Where events go: the sidecar, through an outbox that keeps what the sidecar refused. */
export interface EventPublisher {
  publish(topic: string, data: object, eventId: string): Promise<void>;
}

export function sidecarEvents(sidecar: EventPublisher): ChatEvents {
  return {
    message: (topic, data) =>
      sidecar.publish(topic, data, `${topic}:${data.message.id}:v${data.message.version}`),
    receipt: (data) =>
      sidecar.publish(
        Topics.chatReceiptUpdated,
        data,
        `receipt:${data.conversationId}:${data.userId}:${data.kind}:${data.seq}`,
      ),
    // The join time rides along: notification catches a new member up on messages of the moments
    // after it that its cached member list may have missed.
    member: (kind, data, joinedAt) =>
      sidecar.publish(
        kind === 'added' ? Topics.chatMemberAdded : Topics.chatMemberRemoved,
        { ...data, joinedAt: joinedAt.toISOString() },
        `member-${kind}:${data.conversationId}:${data.userId}:${joinedAt.getTime()}`,
      ),
    conversation: (data) =>
      sidecar.publish(
        Topics.chatConversationUpdated,
        data,
        `conversation:${data.conversationId}:v${data.version}`,
      ),
  };
}
