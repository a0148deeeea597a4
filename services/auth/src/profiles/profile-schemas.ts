import { hasNoDirectionOverride, hasNoLoneSurrogate, hasVisibleCharacter } from '@parley/contracts';
import { z } from 'zod';
import { displayNameSchema } from '../accounts/account-schemas';

const CONTROL_CHARS = /\p{Cc}/u;

/** An IANA time zone this runtime knows, such as `Europe/Paris`. */
const timeZoneSchema = z
  .string()
  .max(64)
  .refine(
    (zone) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be an IANA time zone such as Europe/Paris' },
  );

/** A BCP 47 language tag, such as `en` or `pt-BR`. */
const languageSchema = z
  .string()
  .max(35)
  .refine(
    (tag) => {
      try {
        return Intl.getCanonicalLocales(tag).length === 1;
      } catch {
        return false;
      }
    },
    { message: 'must be a BCP 47 language tag such as en or pt-BR' },
  );

/** Media ids are opaque to this service; the shape keeps them safe to echo and to look up. */
/** As the media service issues them. */
const mediaIdSchema = z.string().regex(/^md_[0-9a-f]{24}$/, 'is not a media id');

/** A status people see beside the name; empty clears it, as null does. */
const statusTextSchema = z
  .string()
  .trim()
  .max(140)
  .refine((s) => !CONTROL_CHARS.test(s), { message: 'must not contain control characters' })
  .refine(hasNoDirectionOverride, { message: 'must not contain direction embeddings or overrides' })
  .refine(hasNoLoneSurrogate, { message: 'must not contain unpaired surrogates' })
  .refine((s) => s === '' || hasVisibleCharacter(s), { message: 'must contain a visible character' });

/** A profile change: each field present is set; null clears an optional one. */
export const profileChangeSchema = z
  .object({
    displayName: displayNameSchema.optional(),
    avatarMediaId: mediaIdSchema.nullable().optional(),
    statusText: statusTextSchema.nullable().optional(),
    timeZone: timeZoneSchema.nullable().optional(),
    language: languageSchema.nullable().optional(),
  })
  .strict()
  .refine((change) => Object.keys(change).length > 0, { message: 'must change at least one field' });

export const directoryQuerySchema = z
  .object({
    q: z
      .string()
      .trim()
      .min(2, 'must be at least 2 characters')
      .max(254)
      // eslint-disable-next-line no-control-regex -- control characters are what it refuses
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not hold control characters'),
    limit: z.coerce.number().int().min(1).max(50).default(20),
  })
  .strict();
