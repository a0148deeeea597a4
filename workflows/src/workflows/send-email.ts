import { proxyActivities } from '@temporalio/workflow';
import type { EmailActivities, EmailDelivery, EmailRequest } from '../activities/email';

const { deliverEmail } = proxyActivities<EmailActivities>({
  startToCloseTimeout: '30 seconds',
  // An SMTP outage is waited out for about an hour before the workflow gives up.
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 20,
  },
});

/**
 * Sends one email. Its id comes from the caller's idempotency key, and the notification service
 * starts it with a policy that refuses a second run of the same id, so an email is sent once.
 */
export async function sendEmail(email: EmailRequest): Promise<EmailDelivery> {
  return deliverEmail(email);
}
