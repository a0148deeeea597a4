import { z } from 'zod';
import type { VapidConfig } from './push';
import type { TwilioConfig } from './sms';

/**
 * The worker's settings for notification delivery. Without VAPID keys there is no web push and
 * without Twilio credentials no SMS; those steps are then recorded as failed, never faked.
 */
export const notifyConfigFields = {
  /** VAPID key pair (RFC 8292), base64url: the public key is the uncompressed P-256 point. */
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{80,100}$/, 'must be a base64url P-256 public key')
    .optional(),
  VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{40,50}$/, 'must be a base64url P-256 private key')
    .optional(),
  /** How push services may reach the operator. */
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:\/\/)/, 'must be a mailto: or https:// URL')
    .default('mailto:operators@parley.localhost'),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'must be an AC... account SID')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
  /** E.164 sending number. */
  TWILIO_FROM: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number')
    .optional(),
  /** Unset in production; a test server's origin in tests. */
  TWILIO_API_BASE_URL: z.url().optional(),
  /** Tests only: post to `http://127.0.0.1` push endpoints, which the service then accepts too. */
  PUSH_ALLOW_LOOPBACK_HTTP: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
};

const _schema = z.object(notifyConfigFields);

export function notifyActivityConfig(config: z.infer<typeof _schema>): {
  vapid: VapidConfig | null;
  twilio: TwilioConfig | null;
  allowLoopbackPush: boolean;
} {
  const vapid =
    config.VAPID_PUBLIC_KEY && config.VAPID_PRIVATE_KEY
      ? {
          subject: config.VAPID_SUBJECT,
          publicKey: config.VAPID_PUBLIC_KEY,
          privateKey: config.VAPID_PRIVATE_KEY,
        }
      : null;
  const twilio =
    config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.TWILIO_FROM
      ? {
          accountSid: config.TWILIO_ACCOUNT_SID,
          authToken: config.TWILIO_AUTH_TOKEN,
          from: config.TWILIO_FROM,
          apiBaseUrl: config.TWILIO_API_BASE_URL,
        }
      : null;
  return { vapid, twilio, allowLoopbackPush: config.PUSH_ALLOW_LOOPBACK_HTTP };
}
