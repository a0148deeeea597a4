import { ApplicationFailure } from '@temporalio/activity';
import type { NotifyServiceClient } from './notify-service';
import { openSend } from './send-checkpoint';
import type { ChannelResult, EmailJob } from './notify-types';

/** The part of a nodemailer transport the digest needs, so tests can hand in their own. */
export interface DigestTransport {
  sendMail(message: {
    from: string;
    to: { name: string; address: string };
    subject: string;
    text: string;
    html: string;
    messageId: string;
    list: { unsubscribe: { url: string; comment: string } };
    headers: Record<string, string>;
  }): Promise<{ messageId: string }>;
}

export interface DigestEmailDeps {
  notifyService: NotifyServiceClient;
  mailer: DigestTransport;
  from: string;
  messageIdDomain: string;
}

/** A Message-ID local part from the idempotency key: only characters valid in a dot-atom. */
export function digestMessageId(key: string, domain: string): string {
  return `<${key.replace(/[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]/g, '.')}@${domain}>`;
}

/**
 * Sends an email digest: one email for every unread message the step covers. The recipient's
 * name and address travel as an address object (nodemailer encodes them; they never become raw
 * header text), and the List-Unsubscribe link is a signed one-click link (RFC 8058).
 *
 * Exactly-once, honestly: the ledger holds an intent before the SMTP call and `sent` after it.
 * A retry that finds `sent` sends nothing. As soon as the server accepts the email, the attempt
 * says so in its heartbeat details, and a retry that finds that only records the outcome: a
 * notification service (or sidecar) that is down after the send costs no second email, and
 * recording is tried again within the attempt while it is away (see `SendCheckpoint`).
 * What remains is the worker dying between the server's final reply and that heartbeat reaching
 * Temporal (at once for a send of under 4 s, otherwise within the SDK's heartbeat throttle). A
 * retry that finds only the intent cannot know whether the server accepted the earlier try (SMTP
 * has no way to ask), so it sends again with the same Message-ID: mail stores and clients that
 * deduplicate by Message-ID show it once.
 */
export function createDigestEmailActivities({
  notifyService,
  mailer,
  from,
  messageIdDomain,
}: DigestEmailDeps) {
  return {
    async sendDigestEmail(key: string, userId: string, job: EmailJob): Promise<ChannelResult> {
      const intent = { key, userId, channel: 'email' as const, messageIds: job.messageIds };
      const open = await openSend(notifyService, intent, 'EmailRefused');
      if (!open) return { delivered: job.messageIds };
      const { checkpoint } = open;
      const messageId = digestMessageId(key, messageIdDomain);
      try {
        await checkpoint.calling(() =>
          mailer.sendMail({
            from,
            to: { name: job.to.name, address: job.to.address },
            subject: job.subject,
            text: job.text,
            html: job.html,
            messageId,
            list: { unsubscribe: { url: job.unsubscribeUrl, comment: 'Unsubscribe' } },
            headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
          }),
        );
      } catch (err) {
        const responseCode = (err as { responseCode?: unknown }).responseCode;
        if (typeof responseCode === 'number' && responseCode >= 500) {
          const reason = `SMTP refused the email with ${responseCode}`;
          await checkpoint.record(() => notifyService.finishSend({ ...intent, outcome: 'failed', reason }));
          throw ApplicationFailure.nonRetryable(reason, 'EmailRefused');
        }
        throw err;
      }
      checkpoint.accepted(messageId);
      await checkpoint.record(() =>
        notifyService.finishSend({ ...intent, outcome: 'sent', providerId: messageId }),
      );
      return { delivered: job.messageIds };
    },
  };
}

export type DigestEmailActivities = ReturnType<typeof createDigestEmailActivities>;
