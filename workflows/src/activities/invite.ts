import type { Sidecar } from '@parley/service-kit';
import { ApplicationFailure } from '@temporalio/activity';
import type { InviteChannel, InviteDeliveryKind, InviteState } from '../workflows/invite-contract';
import { createInviteSmsSender } from './invite-sms';
import type { TwilioConfig } from './sms';

/** Sends one text message; `idempotencyKey` is the same on every retry of the same message. */
export type InviteSmsSender = (sms: { to: string; body: string; idempotencyKey: string }) => Promise<{
  sid: string;
}>;

export interface InviteActivityDeps {
  sidecar: Sidecar;
  /** The worker's Twilio settings (shared with notification SMS); without them SMS invites fail for good. */
  twilio?: TwilioConfig | null;
  /** Replaces the Twilio sender (tests). */
  sendInviteSms?: InviteSmsSender | undefined;
}

interface Delivery {
  channel: InviteChannel;
  /** For SMS only: the text and number, composed by the notification service (it holds the link key). */
  sms?: { to: string; body: string };
}

/**
 * The invite workflow's reach into the world, all through the worker's sidecar: the notification
 * service composes and records, the chat service admits. A 4xx answer is final and fails without
 * retry, carrying the callee's problem code as the failure type; anything else is retried.
 */
export function createInviteActivities(deps: InviteActivityDeps) {
  const { sidecar } = deps;
  const sendInviteSms = deps.sendInviteSms ?? createInviteSmsSender(deps.twilio);
  const call = async <T>(app: string, method: string, init: { method?: string; body?: unknown }) => {
    const result = await sidecar.invoke<T | { code?: unknown }>(app, method, {
      ...init,
      signal: AbortSignal.timeout(15_000),
    });
    if (result.status >= 200 && result.status < 300) return result.body as T;
    const body = result.body as { code?: unknown } | string;
    const code = typeof body === 'object' && typeof body.code === 'string' ? body.code : 'UPSTREAM_FAILED';
    const message = `${app} answered ${result.status} (${code})`;
    if (result.status >= 400 && result.status < 500 && result.status !== 408 && result.status !== 429) {
      throw ApplicationFailure.nonRetryable(message, code);
    }
    throw ApplicationFailure.retryable(message, code);
  };

  return {
    /**
     * Sends the invite or its reminder on the invite's channel. Email goes through the durable
     * email workflow, started under a key derived from the invite and the kind, so a retry sends
     * nothing twice; an SMS carries the same kind of key to the provider.
     */
    async deliverInvite(input: { inviteId: string; kind: InviteDeliveryKind }): Promise<{ channel: string }> {
      const delivery = await call<Delivery>(
        'notification',
        `internal/v1/invites/${encodeURIComponent(input.inviteId)}/deliveries`,
        { method: 'POST', body: { kind: input.kind } },
      );
      if (delivery.channel === 'sms' && delivery.sms) {
        if (!sendInviteSms) {
          throw ApplicationFailure.nonRetryable('no SMS provider is configured', 'INVITE_SMS_UNAVAILABLE');
        }
        // Only the provider's id goes into the history: the text holds the link.
        const { sid } = await sendInviteSms({
          ...delivery.sms,
          idempotencyKey: `invite-${input.inviteId}-${input.kind}`,
        });
        return { channel: `sms:${sid}` };
      }
      return { channel: delivery.channel };
    },

    /** Mirrors the workflow's state into the invite's record, which lists and links read. */
    async recordInvite(state: InviteState): Promise<void> {
      await call('notification', `internal/v1/invites/${encodeURIComponent(state.inviteId)}/state`, {
        method: 'PUT',
        body: state,
      });
    },

    /** Whether the group now requires an admin's approval before an invitee joins. */
    async joinPolicy(input: {
      conversationId: string;
      inviterId: string;
    }): Promise<{ requiresApproval: boolean }> {
      const admission = await call<{ conversation: { requiresApproval: boolean } }>(
        'chat',
        `internal/v1/conversations/${encodeURIComponent(input.conversationId)}/admission/${encodeURIComponent(input.inviterId)}`,
        {},
      );
      return { requiresApproval: admission.conversation.requiresApproval };
    },

    /** Adds the invitee to the group; chat answers the same for a member already there. */
    async admitInvitee(input: {
      inviteId: string;
      conversationId: string;
      userId: string;
      inviterId: string;
      approverId: string | null;
    }): Promise<{ added: boolean }> {
      const { conversationId, ...body } = input;
      return call<{ added: boolean }>(
        'chat',
        `internal/v1/conversations/${encodeURIComponent(conversationId)}/invited-members`,
        { method: 'POST', body },
      );
    },
  };
}

export type InviteActivities = ReturnType<typeof createInviteActivities>;
