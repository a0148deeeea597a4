import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { generateRequestDetails } from 'web-push';
import type { NotifyServiceClient } from './notify-service';
import { PushAddressRefusedError, postPush } from './push-request';
import { openSend } from './send-checkpoint';
import type { ChannelResult, PushJob } from './notify-types';

export interface VapidConfig {
  /** `mailto:` or `https:` contact the push services may use to reach the operator. */
  subject: string;
  publicKey: string;
  privateKey: string;
}

export interface PushActivityDeps {
  notifyService: NotifyServiceClient;
  /** Without keys there is no web push: the step is skipped as unavailable. */
  vapid: VapidConfig | null;
  /** Per request to a push service. */
  pushTimeoutMs?: number;
  /** Tests only: endpoints on 127.0.0.1 are posted to (every other private address never is). */
  allowLoopbackHttp?: boolean;
}

/** Push services keep undelivered messages this long (seconds). */
const PUSH_TTL_SECONDS = 24 * 60 * 60;

/**
 * The Topic header (RFC 8030, section 5.4): a push service replaces an undelivered message with a
 * newer one of the same topic, so a retried send reaches the device once. At most 32 characters
 * of the URL-safe base64 alphabet.
 */
export function pushTopic(key: string, conversationId: string): string {
  return createHash('sha256').update(`${key}\n${conversationId}`).digest('base64url').slice(0, 32);
}

/** The outcome's provider id: push services give no id worth keeping, so the count of pushes taken. */
const pushCount = (pushes: number) => `${pushes} push(es)`;

/**
 * Sends one web push per conversation to every subscription of the recipient, encrypted for the
 * subscription's keys (RFC 8291) and signed with the platform's VAPID key (RFC 8292). A 404 or 410
 * means the subscription is gone: it is removed; other answers below 500 (but 429) are permanent
 * for that subscription; 429, 5xx and network errors are retried by the workflow's policy.
 *
 * Each push a service takes is named in the attempt's heartbeat details (`acceptedParts`) as soon
 * as it answers, so a retry, whether after a 5xx from another subscription, a failed record or a
 * dead worker, posts only the pushes no service took yet: the Topic header would merely replace an
 * undelivered copy; a delivered one would show twice. Details of an older worker carry only
 * `acceptedId`, set once every push was made, and its retry only records the outcome.
 */
export function createPushActivities({
  notifyService,
  vapid,
  pushTimeoutMs = 10_000,
  allowLoopbackHttp = false,
}: PushActivityDeps) {
  return {
    async sendPush(key: string, userId: string, job: PushJob): Promise<ChannelResult> {
      const messageIds = job.notifications.flatMap((n) => n.messageIds);
      const intent = { key, userId, channel: 'push' as const, messageIds };
      if (!vapid) {
        await notifyService.finishSend({ ...intent, outcome: 'failed', reason: 'push is not configured' });
        throw ApplicationFailure.nonRetryable('web push is not configured', 'PushUnavailable');
      }
      const open = await openSend(notifyService, intent, 'PushFailed');
      if (!open) return { delivered: messageIds };
      const { checkpoint } = open;

      const gone: string[] = [];
      const refused: string[] = [];
      const accepted = new Set(checkpoint.acceptedParts);
      for (const subscription of job.subscriptions) {
        for (const notification of job.notifications) {
          // One notification per conversation, so this names one push across attempts.
          const part = `${subscription.id}/${notification.conversationId}`;
          if (accepted.has(part)) continue;
          const payload = JSON.stringify({
            title: notification.title,
            body: notification.body,
            url: notification.url,
            conversationId: notification.conversationId,
            messageIds: notification.messageIds,
          });
          const details = generateRequestDetails(subscription, payload, {
            vapidDetails: vapid,
            TTL: PUSH_TTL_SECONDS,
            topic: pushTopic(key, notification.conversationId),
            urgency: 'high',
            contentEncoding: 'aes128gcm',
          });
          const headers = Object.fromEntries(
            Object.entries(details.headers).map(([name, value]) => [name, String(value)]),
          );
          let status: number;
          try {
            status = await checkpoint.calling(() =>
              postPush({
                endpoint: details.endpoint,
                headers,
                body: details.body,
                timeoutMs: pushTimeoutMs,
                allowLoopback: allowLoopbackHttp,
              }),
            );
          } catch (err) {
            // Not posted at all: a retry would find the same address, so this subscription is done.
            if (!(err instanceof PushAddressRefusedError)) throw err;
            refused.push(`${subscription.id}: ${err.message}`);
            break;
          }
          if (status >= 200 && status < 300) {
            accepted.add(part);
            checkpoint.partAccepted(part, pushCount(accepted.size));
            continue;
          }
          if (status === 404 || status === 410) {
            gone.push(subscription.id);
            break;
          }
          if (status === 429 || status >= 500) {
            throw new Error(`push service answered ${status}`);
          }
          refused.push(`${subscription.id}: ${status}`);
          break;
        }
      }
      if (gone.length > 0) {
        await checkpoint.record(() =>
          notifyService.removePushSubscriptions(userId, gone, 'push endpoint gone'),
        );
      }
      if (accepted.size === 0) {
        const reason =
          gone.length > 0
            ? `push endpoint gone (${gone.length})`
            : `push refused: ${refused.join(', ') || 'no subscription'}`;
        await checkpoint.record(() => notifyService.finishSend({ ...intent, outcome: 'failed', reason }));
        throw ApplicationFailure.nonRetryable(reason, 'PushFailed');
      }
      const providerId = pushCount(accepted.size);
      await checkpoint.record(() => notifyService.finishSend({ ...intent, outcome: 'sent', providerId }));
      return { delivered: messageIds };
    },
  };
}

export type PushActivities = ReturnType<typeof createPushActivities>;
