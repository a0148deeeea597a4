import { z } from 'zod';

// What a streamed upload (`POST /api/v1/media`) must be before its body is read: the media service
// applies these, and the gateway applies them too, so an upload it forwards is refused before its
// body arrives (the sidecars relay a refusal only once the body has ended).

/**
 * A file name as shown to people: no path, no control characters, at most 255 characters, no
 * characters that reorder or hide what follows (bidirectional overrides, isolates and marks), with
 * which "invoice\u202Efdp.exe" shows as a PDF, and no invisible separators that split or join a
 * name unseen: line and paragraph separators (U+2028, U+2029), the zero-width space (U+200B), the
 * word joiner (U+2060), the byte order mark (U+FEFF) and the soft hyphen (U+00AD). The joiners,
 * variation selectors and tag characters that emoji sequences are made of stay allowed.
 */
export const fileName = z
  .string()
  .min(1)
  .max(255)
  .regex(
    /^[^\p{Cc}/\\\u00AD\u061C\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060\u2066-\u2069\uFEFF]+$/u,
    'must be a file name without path, control characters, direction overrides or invisible separators',
  )
  .refine((name) => name.trim() === name && name !== '.' && name !== '..', 'must be a plain file name');

/** A media type such as `image/png`, parameters dropped. */
export const mediaType = z
  .string()
  .max(255)
  .transform((value) => value.split(';')[0]!.trim().toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/, 'must be a media type'));

/** A body's declared length in bytes, written as `Content-Length` is: decimal digits. */
export const declaredLength = z
  .string()
  .regex(/^[0-9]{1,15}$/, 'must be a length in bytes')
  .transform(Number);

/** The query of a streamed upload: the file's name, nothing else. */
export const streamUploadQuery = z.object({ fileName }).strict();

/** The type a streamed upload without `Content-Type` is taken as. */
export const DEFAULT_UPLOAD_TYPE = 'application/octet-stream';
