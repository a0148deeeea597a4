import { z } from 'zod';

/** What a recipient hears of: every message, mentions (and direct messages), direct messages only, nothing. */
export const notifyLevel = z.enum(['all', 'mentions', 'direct', 'nothing']);

export type NotifyLevel = z.infer<typeof notifyLevel>;

/** A local wall-clock time, `HH:MM`. */
const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');

/** A delay in seconds, up to a week. */
const delay = z
  .number()
  .int()
  .min(0)
  .max(7 * 24 * 60 * 60);

export const preferencesSchema = z
  .object({
    level: notifyLevel,
    channels: z.object({ push: z.boolean(), email: z.boolean(), sms: z.boolean() }).strict(),
    /** Seconds after a message arrives before each step, if it is still unread. */
    delays: z.object({ push: delay, email: delay, sms: delay }).strict(),
    /**
     * Local times in the profile's time zone (UTC without one). Start after end spans midnight.
     * Urgent messages (direct messages and personal mentions) pass only with `allowUrgent`.
     */
    quietHours: z
      .object({ start: localTime, end: localTime, allowUrgent: z.boolean() })
      .strict()
      .refine((q) => q.start !== q.end, { message: 'start and end must differ' })
      .nullable(),
  })
  .strict();

export type Preferences = z.infer<typeof preferencesSchema>;

export const DEFAULT_PREFERENCES: Preferences = {
  level: 'mentions',
  channels: { push: true, email: true, sms: false },
  delays: { push: 60, email: 15 * 60, sms: 30 * 60 },
  quietHours: null,
};

/** A change: any subset, nested objects partially. */
export const preferencesPatchSchema = z
  .object({
    level: notifyLevel.optional(),
    channels: preferencesSchema.shape.channels.partial().strict().optional(),
    delays: preferencesSchema.shape.delays.partial().strict().optional(),
    quietHours: preferencesSchema.shape.quietHours.optional(),
  })
  .strict();

export type PreferencesPatch = z.infer<typeof preferencesPatchSchema>;

export const conversationLevelBody = z.object({ level: notifyLevel }).strict();

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id');

/** Chat's conversation ids: a malformed one is refused here, before chat is asked about it. */
const conversationId = z.string().regex(/^c_[0-9a-f]{24}$/, 'must be a conversation id');

export const conversationParams = z.object({ conversationId }).strict();
export const idSchema = id;
