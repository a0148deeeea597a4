import { hasNoLoneSurrogate, hasVisibleCharacter } from '@parley/contracts';
import { z } from 'zod';

/**
 * The input schemas of accounts. Every one is strict, and every field that is a string accepts
 * only a string, so a request can never smuggle a query operator (`{"$ne": null}`) into a lookup.
 */

/** bcrypt reads only the first 72 bytes; a longer password is refused rather than truncated. */
export const BCRYPT_MAX_BYTES = 72;

const CONTROL_CHARS = /\p{Cc}/u;
/**
 * Characters that reorder or hide what follows (bidirectional overrides, isolates and marks), with
 * which a name can pass for another ("\u202Egnp.exe").
 */
const DIRECTION_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_.]{3,32}$/, 'must be 3 to 32 characters of a-z, 0-9, _ and .');

export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email())
  .transform((e) => e.toLowerCase());

export const passwordSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 72 bytes in UTF-8')
  .refine((p) => Buffer.byteLength(p, 'utf8') <= BCRYPT_MAX_BYTES, {
    message: `must be at most ${BCRYPT_MAX_BYTES} bytes in UTF-8`,
  });

export const displayNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((s) => !CONTROL_CHARS.test(s), { message: 'must not contain control characters' })
  .refine((s) => !DIRECTION_CONTROLS.test(s) && hasNoLoneSurrogate(s), {
    message: 'must not contain direction overrides or unpaired surrogates',
  })
  .refine(hasVisibleCharacter, { message: 'must contain a visible character' });

/** E.164: a plus, a country code not starting with 0, at most 15 digits in all. */
export const phoneSchema = z
  .string()
  .regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 number such as +14155550100');

export const registrationSchema = z
  .object({
    username: usernameSchema,
    email: emailSchema,
    password: passwordSchema,
    displayName: displayNameSchema,
    phone: phoneSchema.optional(),
  })
  .strict();

export type Registration = z.infer<typeof registrationSchema>;

/** A login is a username or an email address; which one is decided by the `@`. */
export const loginSchema = z
  .object({
    login: z.string().trim().toLowerCase().min(1).max(254),
    // A wrong password of any length is just wrong; the cap keeps bcrypt's input bounded.
    password: z.string().min(1).max(256),
    deviceName: displayNameSchema.optional(),
  })
  .strict();

/** Opaque single-use tokens from links: base64url of 32 random bytes. */
export const linkTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is not a valid link token');

export const emailVerificationSchema = z.object({ token: linkTokenSchema }).strict();

export const passwordResetRequestSchema = z.object({ email: emailSchema }).strict();

export const passwordResetSchema = z.object({ token: linkTokenSchema, password: passwordSchema }).strict();

export const accountDeletionSchema = z.object({ password: z.string().min(1).max(256).optional() }).strict();
