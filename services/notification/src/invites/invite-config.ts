import { z } from 'zod';

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Settings of invites, validated with the rest of the service's configuration at start-up. */
export const inviteConfigShape = {
  /** Where users reach the platform; invite links start here. */
  PUBLIC_URL: z.url().default('http://127.0.0.1:4400'),
  /** Signs invite links (HMAC-SHA256). At least 32 characters; the launcher generates one. */
  INVITE_LINK_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /** An unanswered invite lapses after this many seconds (default 7 days). */
  INVITE_EXPIRES_AFTER_SECONDS: seconds(7 * 24 * 3600),
  /** An invite still unanswered after this many seconds is sent again as a reminder (2 days). */
  INVITE_REMIND_AFTER_SECONDS: seconds(2 * 24 * 3600),
  /** An acceptance waiting for an admin's approval lapses after this many seconds (14 days). */
  INVITE_APPROVAL_WINDOW_SECONDS: seconds(14 * 24 * 3600),
  /** A group holds at most this many open invites, so an admin cannot flood inboxes (200). */
  INVITE_MAX_OPEN_PER_GROUP: z.coerce.number().int().positive().default(200),
  /** With these set, invites by phone go out by SMS; without, they are refused. */
  TWILIO_ACCOUNT_SID: z.string().optional(),
  TWILIO_FROM: z.string().optional(),
};

export interface InviteSettings {
  publicUrl: string;
  linkSecret: string;
  expiresAfterMs: number;
  remindAfterMs: number;
  approvalWindowMs: number;
  maxOpenPerGroup: number;
  smsAvailable: boolean;
}

export function inviteSettings(config: {
  PUBLIC_URL: string;
  INVITE_LINK_SECRET: string;
  INVITE_EXPIRES_AFTER_SECONDS: number;
  INVITE_REMIND_AFTER_SECONDS: number;
  INVITE_APPROVAL_WINDOW_SECONDS: number;
  INVITE_MAX_OPEN_PER_GROUP: number;
  TWILIO_ACCOUNT_SID?: string | undefined;
  TWILIO_FROM?: string | undefined;
}): InviteSettings {
  return {
    publicUrl: config.PUBLIC_URL,
    linkSecret: config.INVITE_LINK_SECRET,
    expiresAfterMs: config.INVITE_EXPIRES_AFTER_SECONDS * 1000,
    remindAfterMs: config.INVITE_REMIND_AFTER_SECONDS * 1000,
    approvalWindowMs: config.INVITE_APPROVAL_WINDOW_SECONDS * 1000,
    maxOpenPerGroup: config.INVITE_MAX_OPEN_PER_GROUP,
    smsAvailable: Boolean(config.TWILIO_ACCOUNT_SID && config.TWILIO_FROM),
  };
}
