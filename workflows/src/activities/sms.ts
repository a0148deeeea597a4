import { ApplicationFailure } from '@temporalio/activity';
import twilio from 'twilio';
import type { NotifyServiceClient } from './notify-service';
import { openSend } from './send-checkpoint';
import type { ChannelResult, SmsJob } from './notify-types';

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  /** The sending number (E.164) or messaging service. */
  from: string;
  /**
   * Where the REST API is reached instead of `https://api.twilio.com`: a regional or test server.
   * Unset in production.
   */
  apiBaseUrl?: string | undefined;
}

export interface SmsActivityDeps {
  notifyService: NotifyServiceClient;
  /** Without Twilio credentials there is no SMS: the step fails for good and is recorded. */
  twilio: TwilioConfig | null;
}

const TWILIO_ORIGIN = 'https://api.twilio.com';

/**
 * Twilio error codes that no retry can fix: an invalid or unreachable To number (21211, 21614,
 * 21612, 21408), a recipient who replied STOP (21610), a number on a blocklist (30004 family
 * reported as 21610 on create). See Twilio's error dictionary.
 */
const PERMANENT_TWILIO_CODES = new Set([21211, 21214, 21217, 21219, 21401, 21408, 21610, 21612, 21614]);

/** A Twilio client whose requests go to `apiBaseUrl` when one is set. */
export function twilioClient(config: TwilioConfig): twilio.Twilio {
  const base = config.apiBaseUrl?.replace(/\/+$/, '');
  if (!base) return twilio(config.accountSid, config.authToken, { autoRetry: false });
  const httpClient = new twilio.RequestClient({ timeout: 15_000 });
  const send = httpClient.request.bind(httpClient);
  httpClient.request = ((opts: Parameters<typeof send>[0]) => {
    const uri = opts.uri.startsWith(TWILIO_ORIGIN)
      ? `${base}${opts.uri.slice(TWILIO_ORIGIN.length)}`
      : opts.uri;
    return send({ ...opts, uri });
  }) as typeof send;
  return twilio(config.accountSid, config.authToken, { httpClient });
}

/**
 * Sends one SMS for the step's urgent unread messages.
 *
 * Exactly-once: Twilio's Messages API takes no idempotency key, so the ledger holds an intent
 * before the call and `sent` (with the message SID) after it. A retry that finds only the intent
 * (the worker died after Twilio answered, before `sent` was recorded) first asks Twilio for the
 * recent messages from our number to the recipient and, if one with the same body exists, records
 * it instead of sending again. The body names the batch, so two batches never look alike.
 * Once Twilio answers with a SID the attempt keeps it in its heartbeat details, so a retry after a
 * failed record (the notification service or a sidecar down for a while) only records the
 * outcome, without asking Twilio at all; recording is tried again within the attempt meanwhile.
 */
export function createSmsActivities({ notifyService, twilio: config }: SmsActivityDeps) {
  const client = config ? twilioClient(config) : null;
  return {
    async sendSms(key: string, userId: string, job: SmsJob): Promise<ChannelResult> {
      const intent = { key, userId, channel: 'sms' as const, messageIds: job.messageIds };
      if (!client || !config) {
        await notifyService.finishSend({ ...intent, outcome: 'failed', reason: 'SMS is not configured' });
        throw ApplicationFailure.nonRetryable('SMS is not configured', 'SmsUnavailable');
      }
      const open = await openSend(notifyService, intent, 'SmsFailed');
      if (!open) return { delivered: job.messageIds };
      const { checkpoint } = open;
      if (open.triedBefore) {
        const recent = await client.messages.list({ to: job.to, from: config.from, limit: 50 });
        const same = recent.find((m) => m.body === job.body);
        if (same) {
          checkpoint.accepted(same.sid);
          await checkpoint.record(() =>
            notifyService.finishSend({ ...intent, outcome: 'sent', providerId: same.sid }),
          );
          return { delivered: job.messageIds };
        }
      }
      let sid: string;
      try {
        const message = await checkpoint.calling(() =>
          client.messages.create({
            to: job.to,
            from: config.from,
            body: job.body,
            statusCallback: job.statusCallbackUrl,
          }),
        );
        sid = message.sid;
      } catch (err) {
        const { status, code } = err as { status?: number; code?: number };
        const permanent =
          (typeof code === 'number' && PERMANENT_TWILIO_CODES.has(code)) ||
          (typeof status === 'number' && status >= 400 && status < 500 && status !== 429);
        if (!permanent) throw err;
        const reason = `Twilio refused the SMS: ${code ?? status} ${(err as Error).message}`;
        await checkpoint.record(() => notifyService.finishSend({ ...intent, outcome: 'failed', reason }));
        throw ApplicationFailure.nonRetryable(reason, 'SmsRefused');
      }
      checkpoint.accepted(sid);
      await checkpoint.record(() =>
        notifyService.finishSend({ ...intent, outcome: 'sent', providerId: sid }),
      );
      return { delivered: job.messageIds };
    },
  };
}

export type SmsActivities = ReturnType<typeof createSmsActivities>;
