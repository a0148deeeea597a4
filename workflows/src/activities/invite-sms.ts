import { ApplicationFailure } from '@temporalio/activity';
import type { InviteSmsSender } from './invite';
import { type TwilioConfig, twilioClient } from './sms';

/** Twilio error codes no retry fixes: the number is invalid, unreachable, or replied STOP. */
const PERMANENT_CODES = new Set([21211, 21214, 21217, 21219, 21408, 21610, 21612, 21614]);

/**
 * Sends invite texts through Twilio's Messages API, or is absent without credentials.
 *
 * Twilio takes no idempotency key, but every invite text is unique (its link names the invite and
 * the text says whether it is the reminder). So before sending, a retry asks Twilio for the recent
 * messages from our number to the invitee and sends nothing if that exact text is among them: a
 * worker that died after Twilio accepted the message does not send it twice.
 */
export function createInviteSmsSender(config: TwilioConfig | null | undefined): InviteSmsSender | undefined {
  if (!config) return undefined;
  const client = twilioClient(config);
  return async ({ to, body }) => {
    const recent = await client.messages.list({ to, from: config.from, limit: 50 });
    const earlier = recent.find((message) => message.body === body);
    if (earlier) return { sid: earlier.sid };
    try {
      const message = await client.messages.create({ to, from: config.from, body });
      return { sid: message.sid };
    } catch (err) {
      const { status, code } = err as { status?: number; code?: number };
      const permanent =
        (typeof code === 'number' && PERMANENT_CODES.has(code)) ||
        (typeof status === 'number' && status >= 400 && status < 500 && status !== 429);
      if (!permanent) throw err;
      throw ApplicationFailure.nonRetryable(`Twilio refused the invite SMS: ${code ?? status}`, 'SmsRefused');
    }
  };
}
