import { ApplicationFailure } from '@temporalio/activity';

/** An email as the notification service hands it over; every field is validated there. */
export interface EmailRequest {
  /** The caller's key for this one email; the workflow id and the Message-ID derive from it. */
  idempotencyKey: string;
  to: { address: string; name: string };
  subject: string;
  text: string;
}

export interface EmailDelivery {
  messageId: string;
  acceptedAt: string;
}

/** The part of a nodemailer transport the activity uses, so tests can hand in a fake. */
export interface MailTransport {
  sendMail(message: {
    from: string;
    to: { name: string; address: string };
    subject: string;
    text: string;
    messageId: string;
  }): Promise<{ messageId: string; rejected?: unknown[] }>;
}

export interface EmailActivityDeps {
  mailer: MailTransport;
  /** The From header, such as `Parley <no-reply@parley.example>`. */
  from: string;
  /** Domain of generated Message-IDs. */
  messageIdDomain: string;
}

/**
 * Sends one email over SMTP. A permanent refusal (an SMTP 5xx, such as an unknown mailbox) fails
 * without retry; anything else (the server unreachable, a 4xx) is retried by the workflow's policy.
 */
export function createEmailActivities({ mailer, from, messageIdDomain }: EmailActivityDeps) {
  return {
    async deliverEmail(email: EmailRequest): Promise<EmailDelivery> {
      try {
        // Address objects let nodemailer encode the display name; it never becomes raw header text.
        const info = await mailer.sendMail({
          from,
          to: { name: email.to.name, address: email.to.address },
          subject: email.subject,
          text: email.text,
          // The same key gives the same Message-ID, so a retried send can be recognised downstream.
          messageId: `<${email.idempotencyKey}@${messageIdDomain}>`,
        });
        return { messageId: info.messageId, acceptedAt: new Date().toISOString() };
      } catch (err) {
        const responseCode = (err as { responseCode?: unknown }).responseCode;
        if (typeof responseCode === 'number' && responseCode >= 500) {
          throw ApplicationFailure.nonRetryable(
            `SMTP refused the email with ${responseCode}`,
            'EmailRefused',
          );
        }
        throw err;
      }
    },
  };
}

export type EmailActivities = ReturnType<typeof createEmailActivities>;
