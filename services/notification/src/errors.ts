import { AppError } from '@parley/service-kit';

/** The caller is not a member of the conversation they named (or it does not exist). */
export class ConversationNotVisibleError extends AppError {
  constructor(conversationId: string) {
    super('NOTIFICATION_CONVERSATION_NOT_FOUND', 404, 'No such conversation among yours.', {
      conversationId,
    });
  }
}

export class PushSubscriptionNotFoundError extends AppError {
  constructor(subscriptionId: string) {
    super('NOTIFICATION_PUSH_SUBSCRIPTION_NOT_FOUND', 404, 'No such push subscription.', { subscriptionId });
  }
}

export class PushEndpointRefusedError extends AppError {
  constructor(detail: string) {
    super('NOTIFICATION_PUSH_ENDPOINT_REFUSED', 400, detail);
  }
}

export class TooManyPushSubscriptionsError extends AppError {
  constructor(limit: number) {
    super('NOTIFICATION_PUSH_SUBSCRIPTIONS_LIMIT', 409, `At most ${limit} push subscriptions per account.`, {
      limit,
    });
  }
}

export class PushEndpointTakenError extends AppError {
  constructor() {
    super(
      'NOTIFICATION_PUSH_ENDPOINT_TAKEN',
      409,
      'Another account registered this browser for push at the same moment, and keeps it.',
    );
  }
}

export class DeliveryNotFoundError extends AppError {
  constructor(messageId: string) {
    super('NOTIFICATION_DELIVERY_NOT_FOUND', 404, 'No delivery record for this message among yours.', {
      messageId,
    });
  }
}

export class SignatureInvalidError extends AppError {
  constructor() {
    super('NOTIFICATION_SIGNATURE_INVALID', 403, 'The request signature is missing or does not match.');
  }
}

export class UnsubscribeLinkInvalidError extends AppError {
  constructor() {
    super('NOTIFICATION_UNSUBSCRIBE_LINK_INVALID', 400, 'This unsubscribe link is not valid.');
  }
}
