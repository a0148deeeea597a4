import { z } from 'zod';

const flag = z
  .enum(['true', 'false'])
  .default('false')
  .transform((v) => v === 'true');

/** Settings of notification delivery, validated with the rest of the service's configuration. */
export const deliveryConfigFields = {
  /** Where users reach the platform (the gateway's origin): links in pushes, emails and SMS. */
  PUBLIC_URL: z.url(),
  /** The operator token: operators read any delivery ledger with it. */
  OPS_TOKEN: z.string().min(16),
  /** Signs unsubscribe links; at least 32 characters. */
  NOTIFICATION_LINK_SECRET: z.string().min(32),
  /** The VAPID public key browsers subscribe with; without it web push is off. */
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{80,100}$/, 'must be a base64url P-256 public key')
    .optional(),
  /** Checks the signature of Twilio's status callbacks; without it every callback is refused. */
  TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
  /**
   * Accept `http://127.0.0.1` push endpoints besides `https:` ones: for tests with a local push
   * endpoint only. Default false.
   */
  PUSH_ALLOW_LOOPBACK_HTTP: flag,
};

const _schema = z.object(deliveryConfigFields);

export type DeliveryConfig = z.infer<typeof _schema>;
